// The backend contract against the PowerShell backend: real PowerShell 7 running services/agent/ps
// with the stub Hyper-V module (test/stub-hyperv) in place of Hyper-V's. One session per host is
// reused for the whole file; each test rewrites the stub's state file with its world.
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { worldToJson } from "@ferry/agent/simulator";
import { createPowerShellBackend, type HyperVBackend } from "@ferry/agent/testing";
import { describe, it } from "vitest";
import { pwshSearch as findPwsh, STUB_MODULE } from "../helpers/pwsh.ts";
import { type ContractHarness, defineBackendContract } from "./backend-contract.ts";

const pwsh = findPwsh();
const pwshAvailable = pwsh.path !== null;

if (!pwshAvailable && process.env.CI) {
  // In CI a missing PowerShell is a broken build, not a reason to skip half the contract.
  describe("contract: powershell", () => {
    it("needs PowerShell 7 in CI", () => {
      throw new Error(
        `PowerShell 7 not found (looked at ${pwsh.searched.join(", ")} and PATH); CI must install it.`,
      );
    });
  });
} else if (!pwshAvailable) {
  console.warn(
    `PowerShell 7 not found at ${pwsh.searched.join(" or ")} or on PATH: PowerShell contract tests skipped.`,
  );
}

/** Writes atomically, so a PowerShell session never reads half a file. */
function writeState(path: string, text: string): void {
  const tmp = `${path}.node.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function powerShellHarness(): Promise<ContractHarness> {
  const dir = mkdtempSync(join(tmpdir(), "ferry-contract-"));
  const statePath = join(dir, "state.json");
  const backends = new Map<string, HyperVBackend>();
  const open = (host: string) =>
    createPowerShellBackend({
      executable: pwsh.path!,
      psModulePath: STUB_MODULE,
      hostName: host,
      env: { FERRY_STUB_STATE: statePath },
      callTimeoutMs: 60_000,
    });
  const backend = (host: string) => {
    let b = backends.get(host);
    if (!b) {
      b = open(host);
      backends.set(host, b);
    }
    return b;
  };
  return {
    async world(def) {
      writeState(statePath, worldToJson(def));
      return {
        backend,
        async injectFault(vmName, code) {
          const state = JSON.parse(readFileSync(statePath, "utf8")) as { faults?: Record<string, string> };
          state.faults = { ...state.faults, [vmName]: code };
          writeState(statePath, JSON.stringify(state));
        },
        async restart(host) {
          await backends.get(host)?.close();
          backends.delete(host);
          return backend(host);
        },
      };
    },
    async close() {
      await Promise.all([...backends.values()].map((b) => b.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!pwshAvailable)("PowerShell 7 with the stub Hyper-V module", () => {
  defineBackendContract("powershell", powerShellHarness);
});
