// The order in which the test files start: the slowest first, from test/durations.json (seconds per file
// of a PGlite e2e run). The workers take the files in this order, so the long files run side by side at
// the start and the short ones fill the end. Vitest's own order, without its cache (a clean clone, CI),
// is by file size: small but slow files (powershell.contract, readme/start) started last and left one
// core idle for their whole run at the end of the tier.
// Refresh the table after a run that wrote `.vitest-durations-e2e-pglite.json` (.ci/run), or several:
//   node --import tsx test/helpers/record-durations.ts .vitest-durations-e2e-pglite.json
import fs from "node:fs";
import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const DURATIONS_FILE = path.join(ROOT, "test/durations.json");

/** Seconds per test file (path relative to the repository), or {} without a table. */
export function readDurations(file = DURATIONS_FILE): Record<string, number> {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

export class SlowestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Vitest's order keeps each project's files together; within a project, slowest first. A file not
    // in the table (new) goes first, as Vitest runs unknown files first; ties keep Vitest's order.
    const base = await super.sort(files);
    const rank = new Map(base.map((spec, i) => [spec, i]));
    const durations = readDurations();
    const seconds = (spec: TestSpecification) =>
      durations[path.relative(ROOT, spec.moduleId)] ?? Number.POSITIVE_INFINITY;
    return [...base].sort((a, b) => {
      if (a.project.name === b.project.name) {
        const sa = seconds(a);
        const sb = seconds(b);
        if (sa !== sb) return sa > sb ? -1 : 1;
      }
      return rank.get(a)! - rank.get(b)!;
    });
  }
}
