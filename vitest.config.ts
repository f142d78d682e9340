import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";
import { SlowestFirstSequencer } from "./test/helpers/sequencer.ts";

const require = createRequire(import.meta.url);

/**
 * Two tiers, one run (`npm test` runs both; `vitest run --project unit` one of them):
 * - unit: `*.test.ts` next to the code (packages/*\/src, services/*\/src). They start no process, PowerShell,
 *   database or server, and take seconds.
 * - e2e: everything under test/, plus `*.int.test.ts` next to the code (tests that must sit beside the code
 *   but start a process, e.g. PowerShell).
 */
const UNIT = ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"];
const INTEGRATION = ["**/*.int.test.ts"];

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS and ESM builds; Vite would give our code the ESM one while Node gives the
    // packages the CJS one, and two GraphQLError classes break instanceof. Use Node's choice everywhere.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    pool: "forks",
    // Three files at a time on the 2-core machine: the tests wait for processes, PowerShell and the fleet
    // much of their time (the whole suite is ~520 s of CPU, and a 2-worker run took ~490 s of wall, about
    // half of 2 cores). Both tiers passed with 3 workers at load 8-9; PostgreSQL peaked at 43 connections.
    maxWorkers: 3,
    fileParallelism: true,
    // Slowest files first (test/durations.json), so the tier does not end with one core idle.
    sequence: { sequencer: SlowestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: UNIT,
          exclude: [...INTEGRATION, "**/node_modules/**"],
          // A unit test that needs more than this is not a unit test.
          testTimeout: 20_000,
          // One worker process for many files (as e2e below): a process per file spent 17.5 of the tier's
          // 25 s importing the same modules again (measured: 26.6 s -> 13.1 s wall, 45 s -> 14 s of CPU).
          // No unit test leaves a global changed (they pass in shuffled order); one that mocks a module
          // imports what it tests after vi.resetModules(), as an earlier file may have loaded the real one.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts", ...INTEGRATION.map((g) => `{packages,services}/*/src/${g}`)],
          // For every PowerShell 7 the tests start (they inherit this): no telemetry ping and no update check
          // at start-up, and no tiered-PGO instrumentation in a process that lives for seconds. Measured on the
          // stub's session start (pwsh + Import-Module): ~1.8 s of CPU -> ~1.6 s. PowerShell's own switches,
          // nothing of Ferry's: what the tests check is unchanged.
          env: {
            POWERSHELL_TELEMETRY_OPTOUT: "1",
            POWERSHELL_UPDATECHECK: "Off",
            DOTNET_TieredPGO: "0",
          },
          // Bundles the API and agent entry points once, for the tests that start them as processes.
          globalSetup: ["test/helpers/bundles.ts"],
          exclude: ["**/node_modules/**"],
          // A worker keeps its loaded modules from one file to the next instead of a new process per file:
          // loading the API's and the agent's module graph again cost each file ~4-5 s of CPU, about a fifth
          // of the tier on 2 cores. Each file still starts its own API, database and fleet, and stops them
          // (no module of services/* or packages/* has an effect when imported: wiring.test.ts).
          isolate: false,
          // Ceilings, not budgets: tests wait for conditions, and a loaded 2-core machine can take a minute
          // or more to start an API with a fresh database. Only a hung test ever reaches these.
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
