// Issue 14 "one artifact": `npm run package -w @ferry/agent` builds dist/ferry-agent-<version>.zip; unpacked
// into an empty folder outside the repository it runs with plain node (--help, doctor), and the packaged
// agent on the PowerShell backend (pwsh + the stub Hyper-V module) enrolls and reports its inventory.

import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { generateFleet, worldToJson } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import type { Proc } from "../helpers/processes.ts";
import { pwshOrSkipReason, STUB_MODULE } from "../helpers/pwsh.ts";
import { npmRunPackage, runPackaged, startPackaged, unpack, VERSION } from "./helpers.ts";

const { pwsh, skip } = pwshOrSkipReason("the packaged agent test");
let zip: string;
let dir: string;
let api: TestApi | undefined;
const procs: Proc[] = [];

beforeAll(async () => {
  zip = await npmRunPackage();
  dir = unpack(zip);
}, 300_000);

afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => undefined);
  await api?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the agent package", () => {
  it("is one zip: a bundled agent with no dependencies outside Node, the scripts, installer, wrapper, config, README", () => {
    expect(path.basename(zip)).toBe(`ferry-agent-${VERSION}.zip`);
    const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).sort();
    const scripts = fs
      .readdirSync(path.join(import.meta.dirname, "../../services/agent/ps"))
      .filter((f) => f.endsWith(".ps1"));
    expect(files).toEqual(
      [
        "README.md",
        "ferry-agent-service.LICENSE.txt",
        "ferry-agent-service.exe",
        "ferry-agent.cmd",
        "ferry-agent.js",
        "ferry-agent.sample.json",
        "ferry-agent.schema.json",
        "install.ps1",
        "package.json",
        "ps",
        ...scripts.map((s) => path.join("ps", s)),
      ].sort(),
    );
    const bundle = fs.readFileSync(path.join(dir, "ferry-agent.js"), "utf8");
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]!));
    // node:sqlite is Node's own from 22 on: undici (the proxy's fetch) only feature-detects it in a try/catch.
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), "node:sqlite"]);
    // Everything is inlined except Node's own modules and ws's optional native accelerators.
    expect([...required].filter((m) => !builtins.has(m)).sort()).toEqual(["bufferutil", "utf-8-validate"]);
    // No tsx at run time; pino writes through in-process streams (no worker-thread transport to locate).
    expect(bundle).not.toContain("--import tsx");
    const readme = fs.readFileSync(path.join(dir, "README.md"), "utf8");
    expect(readme).toContain("Node.js 20.19 or later");
    expect(readme).toMatch(/offline host/);
  });

  it("runs with plain node: --help and --version", async () => {
    const help = await runPackaged(dir, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("ferry-agent doctor");
    expect(help.stdout).toContain("ferry-agent service install|uninstall|start|stop|status");
    expect((await runPackaged(dir, ["--version"])).stdout.trim()).toBe(VERSION);
  });

  it("refuses a bad configuration file naming the field, exit 2", async () => {
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify({ apiUrls: ["x"], logLevel: "loud" }));
    const result = await runPackaged(dir, ["--config", "bad.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("bad.json: apiUrls.0: must be an http:// or https:// URL");
    expect(result.stderr).toContain("bad.json: logLevel:");
  });

  it.skipIf(skip)(
    "enrolls and reports inventory on the PowerShell backend (pwsh + stub Hyper-V module)",
    {
      timeout: 300_000,
    },
    async () => {
      api = await startTestApi();
      const world = generateFleet({ hosts: 1, vmsPerHost: 3, seed: 14 });
      const host = world.hosts[0]!.facts.name;
      const worldFile = path.join(dir, "stub-world.json");
      fs.writeFileSync(worldFile, worldToJson(world));
      const { createAgentEnrollment } = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
        "mutation($h: String!) { createAgentEnrollment(input: {hostName: $h}) { token } }",
        { h: host },
      );
      const config = path.join(dir, "ferry-agent.json");
      fs.writeFileSync(
        config,
        JSON.stringify({
          apiUrls: [api.url],
          enrollmentToken: createAgentEnrollment.token,
          stateDir: "state",
        }),
      );
      const agent = startPackaged(
        dir,
        ["run", "--config", config, "--backend", "powershell", "--pwsh", pwsh!, "--ps-module", STUB_MODULE],
        { FERRY_STUB_STATE: worldFile, FERRY_STUB_HOST: host },
      );
      procs.push(agent);
      const reported = await eventually(
        async () => {
          const { host: h } = await api!.gqlOk<{
            host: {
              agent: { connected: boolean; backend: string; version: string };
              vms: { totalCount: number };
            } | null;
          }>(
            "query($h: String!) { host(name: $h) { agent { connected backend version } vms(first: 10) { totalCount } } }",
            {
              h: host,
            },
          );
          return h?.agent.connected && h.vms.totalCount === 3 ? h : null;
        },
        240_000,
        "the packaged agent reports its host",
      ).catch((error) => {
        throw new Error(`${(error as Error).message}\n${agent.output().slice(-4000)}`);
      });
      expect(reported.agent).toEqual({ connected: true, backend: "powershell", version: VERSION });
      // Its log: pino JSON lines on stdout and in the rotating file under the state folder.
      const logFile = path.join(dir, "state", "logs", "ferry-agent.1.log");
      const lines = fs
        .readFileSync(logFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { msg: string; level: string });
      expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(["enrolled", "started", "connected"]));
      expect(fs.existsSync(path.join(dir, "state", "credential.json"))).toBe(true);

      // doctor from the package, with the same configuration: PowerShell and the (stub) Hyper-V module pass.
      const checked = await runPackaged(
        dir,
        ["doctor", "--config", config, "--pwsh", pwsh!, "--ps-module", STUB_MODULE],
        { FERRY_STUB_STATE: worldFile, FERRY_STUB_HOST: host },
      );
      expect(checked.stdout).toMatch(/^PASS {2}PowerShell +7\./m);
      expect(checked.stdout).toMatch(/^PASS {2}Hyper-V module +.*Get-VM available$/m);
      expect(checked.stdout).toMatch(/^WARN {2}API over TLS +.*plain HTTP/m);
      expect(checked.stdout).toMatch(/^PASS {2}Clock skew /m);
      expect(checked.code, checked.stdout).toBe(0);
    },
  );
});
