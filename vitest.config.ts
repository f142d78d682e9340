import { defineConfig } from "vitest/config";

// One run for the whole repository: unit tests next to the code, end-to-end and contract tests in test/.
export default defineConfig({
  test: {
    include: ["services/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
