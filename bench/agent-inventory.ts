// Issue 14 "cost on a busy host": the agent's one PowerShell session serves both the inventory (several
// cmdlets per VM) and the migration-job polls (every 500 ms while a move runs). A job poll queued behind
// an inventory read waits for it. On a stub host with 200 VMs (real pwsh + the stub Hyper-V module), for
// the old behaviour (a read every 5 s whatever runs) and the new one (60 s by default, and periodic reads
// wait while a migration job is being polled), this measures the job-poll samples, the longest gap
// between two and the seconds without one (the target: a sample every second, so 0).
// Lines: agent-job-poll-max-gap-ms-<scenario>: <ms>, agent-job-poll-seconds-without-sample-<scenario>: <n>.
// Run: npm run bench -- agent-inventory, or node --import tsx bench/agent-inventory.ts
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateFleet, worldToJson } from "@ferry/agent/simulator";
import {
  createInventoryReporter,
  createPowerShellBackend,
  DEFAULT_INVENTORY_INTERVAL_S,
} from "@ferry/agent/testing";
import { findPwsh } from "../test/helpers/pwsh.ts";

const STUB_MODULE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  "../test/stub-hyperv/FerryHyperVStub.psm1",
);
const VMS = Number(process.env.BENCH_AGENT_VMS ?? 200);
const WINDOW_MS = Number(process.env.BENCH_AGENT_WINDOW_S ?? 30) * 1000;
const POLL_MS = 500; // the job tracker's poll period (services/agent/src/jobs/tracker.ts)

export async function runAgentInventoryBench(): Promise<void> {
  const pwsh = findPwsh();
  if (!pwsh) throw new Error("PowerShell 7 not found (NODE_POWERSHELL, ~/.dotnet/tools/pwsh or PATH).");
  const dir = mkdtempSync(join(tmpdir(), "ferry-bench-agent-"));
  const statePath = join(dir, "state.json");
  const world = generateFleet({ hosts: 2, vmsPerHost: VMS, seed: 14 });
  writeFileSync(statePath, worldToJson(world));
  const hostName = world.hosts[0]!.facts.name;
  const backend = createPowerShellBackend({
    executable: pwsh,
    psModulePath: STUB_MODULE,
    hostName,
    env: { FERRY_STUB_STATE: statePath },
  });
  try {
    const t0 = performance.now();
    const first = await backend.getInventory();
    console.log(
      `session start + first inventory (${first.vms.length} VMs): ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const inventoryMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await backend.getInventory();
      inventoryMs.push(performance.now() - t);
    }
    const perRead = inventoryMs.sort((a, b) => a - b)[1]!;
    console.log(`inventory read, ${VMS} VMs: median ${perRead.toFixed(0)} ms`);

    const scenarios = [
      { name: "before", intervalS: 5, yields: false },
      { name: "after-default", intervalS: DEFAULT_INVENTORY_INTERVAL_S, yields: true },
      { name: "after-5s", intervalS: 5, yields: true },
    ];
    for (const scenario of scenarios) {
      // As the agent (services/agent/src/agent.ts): the inventory reporter on a timer, and a job poller
      // every 500 ms, sharing the one session; "yields" is the reporter's busy() while a job is polled.
      let reads = 0;
      const reporter = createInventoryReporter({
        getInventory: async () => {
          reads++;
          return backend.getInventory();
        },
        send: async () => true,
        log: () => undefined,
        busy: scenario.yields ? () => true : undefined,
      });
      const timer = setInterval(() => void reporter.report(), scenario.intervalS * 1000);
      const samples: number[] = [];
      const start = performance.now();
      while (performance.now() - start < WINDOW_MS) {
        const asked = performance.now();
        await backend.listJobs();
        samples.push(performance.now());
        const wait = POLL_MS - (performance.now() - asked);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      clearInterval(timer);
      await reporter.idle();
      const elapsedS = (samples.at(-1)! - start) / 1000;
      const gaps = samples.slice(1).map((s, i) => s - samples[i]!);
      const maxGap = Math.max(...gaps, samples[0]! - start);
      // Whole seconds of the window without a job sample.
      const seconds = Math.floor(elapsedS);
      const covered = new Set(samples.map((s) => Math.floor((s - start) / 1000)));
      const empty = Array.from({ length: seconds }, (_, i) => i).filter((i) => !covered.has(i)).length;
      const label = `${scenario.name} (inventory every ${scenario.intervalS} s${scenario.yields ? ", yields to job polls" : ""})`;
      console.log(
        `${label}: ${samples.length} job samples in ${elapsedS.toFixed(1)} s (${(samples.length / elapsedS).toFixed(2)}/s), ` +
          `longest gap ${maxGap.toFixed(0)} ms, ${empty} of ${seconds} seconds without a sample, ${reads} inventory reads`,
      );
      console.log(`agent-job-poll-max-gap-ms-${scenario.name}: ${maxGap.toFixed(0)}`);
      console.log(`agent-job-poll-seconds-without-sample-${scenario.name}: ${empty}`);
    }
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runAgentInventoryBench();
}
