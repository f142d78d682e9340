// Writes test/durations.json (the sequencer's table: seconds per test file) from a Vitest JSON report,
// e.g. the `.vitest-results-e2e-pglite.json` that .ci/run writes. Usage:
//   node --import tsx test/helpers/record-durations.ts <report.json>
import fs from "node:fs";
import path from "node:path";
import { DURATIONS_FILE } from "./sequencer.ts";

const report = process.argv[2];
if (!report) {
  console.error("usage: record-durations.ts <vitest json report>");
  process.exit(2);
}
const ROOT = path.dirname(path.dirname(DURATIONS_FILE));
const { testResults } = JSON.parse(fs.readFileSync(report, "utf8")) as {
  testResults: { name: string; startTime: number; endTime: number }[];
};
const rows = testResults
  .map((r) => [path.relative(ROOT, r.name), Math.round((r.endTime - r.startTime) / 100) / 10] as const)
  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
fs.writeFileSync(DURATIONS_FILE, `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`);
console.log(`${DURATIONS_FILE}: ${rows.length} files`);
