// Per-call latency of the PowerShell backend's persistent session vs a fresh
// `pwsh -NoLogo -NoProfile -Command ...` process per call: the same get-inventory call against the
// stub Hyper-V module, in the same run. Last line: powershell-session-speedup: <spawn / session>.
// Run: npm run bench -- powershell, or node --import tsx bench/powershell.ts
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { generateFleet, worldToJson } from "@ferry/agent/simulator";
import {
  buildCommand,
  createPowerShellBackend,
  DEFAULT_SCRIPTS_DIR,
  parseEnvelope,
} from "@ferry/agent/testing";
import { findPwsh } from "../test/helpers/pwsh.ts";

const run = promisify(execFile);
const STUB_MODULE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../test/stub-hyperv/FerryHyperVStub.psm1",
);
const SESSION_CALLS = 20;
const SPAWN_CALLS = 8;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function runPowerShellBench(): Promise<void> {
  const pwsh = findPwsh();
  if (!pwsh) throw new Error("PowerShell 7 not found (NODE_POWERSHELL, ~/.dotnet/tools/pwsh or PATH).");
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-ps-"));
  const statePath = join(dir, "state.json");
  const world = generateFleet({ hosts: 2, vmsPerHost: 8, seed: 1 });
  writeFileSync(statePath, worldToJson(world));
  const hostName = world.hosts[0]!.facts.name;
  const env = { ...process.env, FERRY_STUB_STATE: statePath, FERRY_STUB_HOST: hostName };
  const vmCount = world.hosts[0]!.vms.length;

  try {
    // Persistent session: the first call starts PowerShell and imports the module; it is not timed.
    const backend = createPowerShellBackend({
      executable: pwsh,
      psModulePath: STUB_MODULE,
      hostName,
      env: { FERRY_STUB_STATE: statePath },
    });
    const sessionMs: number[] = [];
    try {
      await backend.getInventory();
      for (let i = 0; i < SESSION_CALLS; i++) {
        const start = performance.now();
        const inventory = await backend.getInventory();
        sessionMs.push(performance.now() - start);
        if (inventory.vms.length !== vmCount) throw new Error("session returned a wrong inventory");
      }
    } finally {
      await backend.close();
    }

    // A fresh process per call: start PowerShell, import the module, run the same script.
    const command = [
      buildCommand(DEFAULT_SCRIPTS_DIR, "_init", { ModulePath: STUB_MODULE }),
      buildCommand(DEFAULT_SCRIPTS_DIR, "get-inventory", {}),
    ].join("; ");
    const spawnMs: number[] = [];
    for (let i = 0; i < SPAWN_CALLS; i++) {
      const start = performance.now();
      const { stdout } = await run(pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", command], {
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
      spawnMs.push(performance.now() - start);
      const envelope = parseEnvelope(stdout);
      if (!envelope?.ok) throw new Error("spawned PowerShell returned no inventory");
    }

    const session = median(sessionMs);
    const spawn = median(spawnMs);
    console.log(`get-inventory (${vmCount} VMs, stub Hyper-V module), ${pwsh}`);
    console.log(`persistent session: median ${session.toFixed(1)} ms over ${SESSION_CALLS} calls`);
    console.log(`process per call:   median ${spawn.toFixed(1)} ms over ${SPAWN_CALLS} calls`);
    console.log(`powershell-session-speedup: ${(spawn / session).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runPowerShellBench();
}
