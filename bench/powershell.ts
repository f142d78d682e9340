// Per-call latency of the PowerShell backend's persistent session vs a fresh
// `pwsh -NoLogo -NoProfile -Command ...` process per call: the same get-inventory call against the
// stub Hyper-V module, in the same run. The two methods are interleaved (session call, spawned
// process, session call, ...) so that both see the same machine load: each spawned call is paired
// with the mean of the session calls just before and just after it. Reported: the median of the
// paired ratios and their spread (min, quartiles, max). Target: median ≥ 10.
// Last line: powershell-session-speedup: <median of paired spawn / session ratios>.
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
import { quantile } from "./harness/stats.ts";

const run = promisify(execFile);
const STUB_MODULE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../test/stub-hyperv/FerryHyperVStub.psm1",
);
/** Spawned calls (each one pair); the session runs PAIRS + 1 calls around them. */
const PAIRS = Number(process.env.BENCH_POWERSHELL_PAIRS ?? 8);

const median = (values: number[]) => quantile(values, 0.5);

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
    // A fresh process per call: start PowerShell, import the module, run the same script.
    const command = [
      buildCommand(DEFAULT_SCRIPTS_DIR, "_init", { ModulePath: STUB_MODULE }),
      buildCommand(DEFAULT_SCRIPTS_DIR, "get-inventory", {}),
    ].join("; ");
    const sessionCall = async () => {
      const start = performance.now();
      const inventory = await backend.getInventory();
      const ms = performance.now() - start;
      if (inventory.vms.length !== vmCount) throw new Error("session returned a wrong inventory");
      return ms;
    };
    const spawnCall = async () => {
      const start = performance.now();
      const { stdout } = await run(pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", command], {
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
      const ms = performance.now() - start;
      const envelope = parseEnvelope(stdout);
      if (!envelope?.ok) throw new Error("spawned PowerShell returned no inventory");
      return ms;
    };
    const sessionMs: number[] = [];
    const spawnMs: number[] = [];
    const ratios: number[] = [];
    try {
      await backend.getInventory();
      sessionMs.push(await sessionCall());
      for (let i = 0; i < PAIRS; i++) {
        const spawned = await spawnCall();
        const after = await sessionCall();
        // Paired with the session calls on either side of it: the same load, within a second or so.
        ratios.push(spawned / ((sessionMs.at(-1)! + after) / 2));
        spawnMs.push(spawned);
        sessionMs.push(after);
      }
    } finally {
      await backend.close();
    }

    const speedup = median(ratios);
    const spread = [0, 0.25, 0.5, 0.75, 1].map((q) => quantile(ratios, q).toFixed(1)).join(" / ");
    console.log(`get-inventory (${vmCount} VMs, stub Hyper-V module), ${pwsh}, interleaved`);
    console.log(
      `persistent session: median ${median(sessionMs).toFixed(1)} ms over ${sessionMs.length} calls`,
    );
    console.log(`process per call:   median ${median(spawnMs).toFixed(1)} ms over ${spawnMs.length} calls`);
    console.log(`paired ratios (spawn ÷ adjacent session calls), min / p25 / median / p75 / max: ${spread}`);
    console.log(`target: median paired ratio ≥ 10: ${speedup >= 10 ? "met" : "MISSED"}`);
    console.log(`powershell-session-speedup-p25: ${quantile(ratios, 0.25).toFixed(2)}`);
    console.log(`powershell-session-speedup-p75: ${quantile(ratios, 0.75).toFixed(2)}`);
    console.log(`powershell-session-speedup: ${speedup.toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runPowerShellBench();
}
