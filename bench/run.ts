// `npm run bench [-- name ...]`: runs the named benchmarks (all when none is named). Each prints its
// measurements next to a baseline measured in the same run, and ratios against it.
import { runPowerShellBench } from "./powershell.ts";

const BENCHES: Record<string, () => Promise<void>> = {
  powershell: runPowerShellBench,
};

const wanted = process.argv.slice(2).filter((a) => a !== "--");
const unknown = wanted.filter((w) => !(w in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  console.log(`\n== bench: ${name}`);
  await BENCHES[name]!();
}
