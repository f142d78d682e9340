// Writes test/durations.json (the sequencer's table: seconds per test file, hooks included) from one or
// more reports of durations-reporter.ts, e.g. the `.vitest-durations-e2e-pglite.json` that .ci/run
// writes; with several, each file's mean (a loaded run stretches whichever files overlapped with the
// load). A file with skipped tests (those that need PostgreSQL and Redis) is left out: its PGlite time
// says nothing of its cost in the PostgreSQL tier, and unknown files go first there. Usage:
//   node --import tsx test/helpers/record-durations.ts <report.json> [<report.json> ...]
import fs from "node:fs";
import type { FileDuration } from "./durations-reporter.ts";
import { DURATIONS_FILE } from "./sequencer.ts";

const reports = process.argv.slice(2);
if (reports.length === 0) {
  console.error("usage: record-durations.ts <durations report> [...]");
  process.exit(2);
}
const seconds = new Map<string, number[]>();
for (const report of reports) {
  for (const row of JSON.parse(fs.readFileSync(report, "utf8")) as FileDuration[]) {
    if (row.skipped) continue;
    seconds.set(row.file, [...(seconds.get(row.file) ?? []), row.seconds]);
  }
}
const rows = [...seconds]
  .map(([file, s]) => [file, Math.round((s.reduce((a, b) => a + b, 0) / s.length) * 10) / 10] as const)
  .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
fs.writeFileSync(DURATIONS_FILE, `${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`);
console.log(`${DURATIONS_FILE}: ${rows.length} files`);
