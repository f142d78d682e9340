// `npm run bench [-- name ...]`: runs the named benchmarks (DEFAULT when none is named). Each prints
// its measurements next to a baseline measured in the same run, and ratios against it (`name: value`).
// The scale benchmarks (connect, ingest, read, fanout) share one session: a fresh PostgreSQL
// database, the API as its own process and BENCH_AGENTS simulated agents (bench/harness/).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { machine } from "./harness/env.ts";

// A clean checkout has no generated Prisma client yet (the API and the ingest benchmark import it):
// generate it first, as `npm start` and `npm test` do through their build step.
const GENERATED = path.resolve(import.meta.dirname, "../services/api/src/generated/prisma/client.ts");
if (!fs.existsSync(GENERATED)) {
  console.log("generating the Prisma client (npm run generate) ...");
  execFileSync("npm", ["run", "generate"], {
    stdio: "inherit",
    cwd: path.resolve(import.meta.dirname, ".."),
  });
}

// Loaded on demand, after the client exists.
const BENCHES: Record<string, () => Promise<void>> = {
  connect: async () => (await import("./connect.ts")).runConnectBench(),
  ingest: async () => (await import("./ingest.ts")).runIngestBench(),
  read: async () => (await import("./read.ts")).runReadBench(),
  fanout: async () => (await import("./fanout.ts")).runFanoutBench(),
  powershell: async () => (await import("./powershell.ts")).runPowerShellBench(),
  "agent-inventory": async () => (await import("./agent-inventory.ts")).runAgentInventoryBench(),
  evacuation: async () => (await import("./evacuation.ts")).runEvacuationBench(),
  scale: async () => (await import("./scale.ts")).runScaleBench(),
  scheduler: async () => (await import("./scheduler.ts")).runSchedulerBench(),
  embedded: async () => (await import("./embedded.ts")).runEmbeddedBench(),
};
/**
 * Without names: the benchmarks of issue 16's targets (ratios against their baselines, the embedded
 * default's latencies), a few minutes on 2 cores. scale, scheduler, evacuation and agent-inventory run
 * when named: scale and scheduler build 10,000-host fleets on PostgreSQL (and Redis) for many minutes.
 */
const DEFAULT = ["connect", "ingest", "read", "fanout", "powershell", "embedded"];
const closeScaleSession = async () => (await import("./harness/session.ts")).closeScaleSession();

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
console.log(`machine: ${machine()}`);
process.once("SIGINT", () => process.exit(130));
const failed: string[] = [];
const started = performance.now();
try {
  for (const name of wanted.length ? wanted : DEFAULT) {
    console.log(`\n== bench: ${name}`);
    const t0 = performance.now();
    try {
      await BENCHES[name]!();
    } catch (error) {
      failed.push(name);
      console.error(`bench ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
} finally {
  await closeScaleSession();
}
console.log(`\nbench total: ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (failed.length) {
  console.error(`failed: ${failed.join(", ")}`);
  process.exit(1);
}
process.exit(0);
