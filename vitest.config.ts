import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// One run for the whole repository: unit tests next to the code, end-to-end and contract tests in test/.
export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM builds; Vite would give our code the ESM one while Node gives the
    // packages the CJS one, and two GraphQLError classes break instanceof. Use Node's choice everywhere.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: true,
    maxWorkers: 2,
  },
});
