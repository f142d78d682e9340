// A Vitest reporter that writes each test file's time: its tests AND its hooks (beforeAll starts an API, a
// fleet or a browser: 15-25 s in some files). The JSON reporter's start and end times cover the tests
// only, which ranked files with a heavy beforeAll too low in test/durations.json. Importing is left out:
// a worker runs several files (isolate: false), and the first of them pays for loading the modules.
// .ci/run adds it with FERRY_TEST_DURATIONS=<file>; record-durations.ts reads what it writes.
import fs from "node:fs";
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/** One file's row: seconds of its tests and hooks; `skipped` when any test of it was skipped. */
export interface FileDuration {
  file: string;
  seconds: number;
  skipped: boolean;
}

export default class DurationsReporter implements Reporter {
  private readonly rows: FileDuration[] = [];

  onTestModuleEnd(module: TestModule): void {
    const d = module.diagnostic();
    const skipped = [...module.children.allTests()].some((t) => t.result().state === "skipped");
    this.rows.push({
      file: path.relative(process.cwd(), module.moduleId),
      seconds: d.duration / 1000,
      skipped,
    });
  }

  onTestRunEnd(): void {
    const out = process.env.FERRY_TEST_DURATIONS;
    if (out) fs.writeFileSync(out, `${JSON.stringify(this.rows, null, 2)}\n`);
  }
}
