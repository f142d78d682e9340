// install.ps1 runs in Windows PowerShell 5.1 on the host: the same 5.1 language check as the agent's
// operation scripts (PowerShell 7's parser plus the list of 7-only constructs) must find nothing in it.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { pwshOrSkipReason } from "../helpers/pwsh.ts";
import { AGENT_DIR } from "./helpers.ts";

const { pwsh, skip } = pwshOrSkipReason("the install.ps1 5.1 language check");
const CHECKER = path.join(AGENT_DIR, "src/backends/powershell/ps51-check.ps1");

describe.skipIf(skip)("install.ps1", () => {
  it("parses and keeps to the Windows PowerShell 5.1 language", () => {
    const out = execFileSync(
      pwsh!,
      [
        "-NoLogo",
        "-NoProfile",
        "-NonInteractive",
        "-File",
        CHECKER,
        path.join(AGENT_DIR, "package/install.ps1"),
      ],
      { encoding: "utf8" },
    );
    expect(JSON.parse(out)).toEqual([]);
  });
});
