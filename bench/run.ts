// `npm run bench [-- name ...]`: runs the named benchmarks (all when none is named). Each prints its
// measurements next to a baseline measured in the same run, and ratios against it (`name: value`).
// The scale benchmarks (connect, ingest, read, fanout) share one session: a fresh PostgreSQL
// database, the API as its own process and BENCH_AGENTS simulated agents (bench/harness/).
import { runConnectBench } from "./connect.ts";
import { runFanoutBench } from "./fanout.ts";
import { machine } from "./harness/env.ts";
import { closeScaleSession } from "./harness/session.ts";
import { runIngestBench } from "./ingest.ts";
import { runPowerShellBench } from "./powershell.ts";
import { runReadBench } from "./read.ts";

const BENCHES: Record<string, () => Promise<void>> = {
  connect: runConnectBench,
  ingest: runIngestBench,
  read: runReadBench,
  fanout: runFanoutBench,
  powershell: runPowerShellBench,
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
console.log(`machine: ${machine()}`);
const failed: string[] = [];
const started = performance.now();
try {
  for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
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
