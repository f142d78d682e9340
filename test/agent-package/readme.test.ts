// README "Installing the agent on a Hyper-V host": the zip it names is the one the packaging builds, the
// two commands use parameters install.ps1 has, and the doctor output it shows is what doctor prints
// for those facts (a Windows host's, which this Linux machine cannot produce by running doctor).
import fs from "node:fs";
import path from "node:path";
import {
  checkAdmin,
  checkApi,
  checkClock,
  checkHyperVModule,
  checkNode,
  checkPowerShell,
  checkStateDir,
  checkVmms,
  formatResults,
  type PowerShellFacts,
} from "@ferry/agent/testing";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/processes.ts";
import { AGENT_DIR, VERSION } from "./helpers.ts";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = README.slice(
  README.indexOf("## Installing the agent on a Hyper-V host"),
  README.indexOf("## Configuration"),
);
const blocks = (lang: string) =>
  [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!.trimEnd());

describe("README: installing the agent", () => {
  it("names the package's zip and two commands install.ps1 accepts", () => {
    expect(section.length).toBeGreaterThan(1000);
    const [commands] = blocks("powershell");
    const lines = commands!.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(`ferry-agent-${VERSION}.zip`);
    const install = fs.readFileSync(path.join(AGENT_DIR, "package/install.ps1"), "utf8");
    for (const parameter of [...lines[1]!.matchAll(/ -(\w+)/g)].map((m) => m[1]!)) {
      expect(install, `install.ps1 has -${parameter}`).toMatch(
        new RegExp(`\\[(string|switch)\\]\\$${parameter}\\b`),
      );
    }
    for (const switchName of ["Uninstall", "Purge"]) expect(install).toContain(`[switch]$${switchName}`);
  });

  it("shows doctor's output as doctor prints it", () => {
    const facts: PowerShellFacts = {
      psVersion: "5.1.17763.6414",
      edition: "Desktop",
      languageMode: "FullLanguage",
      windows: true,
      module: "Hyper-V 2.0.0.0",
      moduleError: null,
      getVm: true,
      vmms: "Running",
      admin: true,
      stateDirSids: ["S-1-5-18", "S-1-5-32-544"],
    };
    const api = { url: "https://ferry.example.com:4000", status: 200, skewMs: 1000 };
    const healthy = formatResults([
      checkNode("v22.21.1"),
      checkPowerShell("powershell.exe", facts),
      checkHyperVModule(facts),
      checkVmms(facts),
      checkAdmin(facts, undefined),
      checkApi(api),
      checkClock(api),
      checkStateDir({ path: "C:\\ProgramData\\Ferry", exists: true, writable: true }, facts),
    ]);
    const untrusted = formatResults([
      checkApi({ url: api.url, status: null, errorCode: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }),
    ])
      .split("\n")
      .slice(0, -1)
      .join("\n");
    expect(blocks("text")).toEqual([healthy, untrusted]);
  });
});
