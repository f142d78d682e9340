// Issue 16: an inventory report is answered before its reactions run (agents/inventory-reactions.ts).
// If the API dies in between, the next start brings the host's drift up to date: the report is stored,
// its reaction is lost with the process, and the start-up catch-up recomputes every profiled host.
// A real API process killed with SIGKILL (its reactions held by FERRY_INVENTORY_REACTION_DELAY_MS),
// then an API on the same database. PostgreSQL only (the third CI tier): a PGlite folder is not
// reopened after a SIGKILL here.
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { createLogger, loadConfig, startApiServer } from "@ferry/api/server";
import { toWire } from "@ferry/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";
import { enrollmentToken, type Proc, startApiProcess, waitForReady } from "../helpers/processes.ts";

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

type DriftItem = { field: string; desired: string | null; actual: string | null };
const DRIFT = `query($h: String!) { host(name: $h) { drift { field desired actual } } }`;

describe.skipIf(!postgresUrl)("inventory reactions across an API crash", () => {
  it("a report answered just before the API died gets its drift at the next start", async () => {
    const database: TestDatabaseEnv = await freshDatabase();
    cleanups.push(() => database.drop());
    const world = SimWorld.create(generateFleet({ hosts: 1, vmsPerHost: 2, seed: 5 }));
    const name = world.hostNames()[0]!;
    const wire = toWire(await world.backend(name).getInventory()) as {
      settings: { maximumStorageMigrations: number };
    };
    // The report says 7 (Hyper-V's default, and the host's settings before any report, is 2).
    wire.settings.maximumStorageMigrations = 7;
    const desiredStorage = 3;

    // The first API holds its reactions for an hour: they cannot run before it is killed.
    const { url, proc } = await startApiProcess({
      ...database.env,
      FERRY_INVENTORY_REACTION_DELAY_MS: "3600000",
    });
    const first: Proc = proc;
    cleanups.push(() => first.stop("SIGKILL"));
    await waitForReady(url, first);
    const enrolled = await gqlOk<{ enrollAgent: { credential: string } }>(
      url,
      "mutation($h: String!) { enrollAgent(input: {hostName: $h}) { credential errors { message } } }",
      { h: name },
      await enrollmentToken(url, name, ADMIN_TOKEN),
    );
    const profile = await gqlOk<{ createMigrationProfile: { profile: { id: string } } }>(
      url,
      `mutation($input: CreateMigrationProfileInput!) { createMigrationProfile(input: $input) {
        profile { id } errors { message } } }`,
      { input: { name: "restart", maximumStorageMigrations: desiredStorage } },
    );
    const hostId = (
      await gqlOk<{ host: { id: string } }>(url, `query($h: String!) { host(name: $h) { id } }`, { h: name })
    ).host.id;
    await gqlOk(
      url,
      `mutation($input: AssignMigrationProfileInput!) { assignMigrationProfile(input: $input) {
        errors { message } } }`,
      { input: { profile: profile.createMigrationProfile.profile.id, hosts: [hostId] } },
    );
    const drift = async (at: string) =>
      (await gqlOk<{ host: { drift: DriftItem[] } }>(at, DRIFT, { h: name })).host.drift;
    // Assigned before any report: the drift against the settings known at enrollment.
    const before = await drift(url);
    expect(before).not.toContainEqual(expect.objectContaining({ actual: "7" }));

    const reported = await gqlOk<{ agentReportInventory: { changed: boolean } }>(
      url,
      `mutation($input: AgentReportInventoryInput!) { agentReportInventory(input: $input) {
        changed errors { message } } }`,
      { input: { inventory: wire, agentVersion: "1", backend: "simulator" } },
      enrolled.enrollAgent.credential,
    );
    expect(reported.agentReportInventory.changed).toBe(true);
    // Answered and stored; its drift reaction is still waiting (before, it ran before the answer).
    expect(await drift(url)).toEqual(before);
    await first.stop("SIGKILL");

    // The next start: no agent reports again, the start-up catch-up recomputes the drift.
    const server = await startApiServer(
      loadConfig({ PORT: "0", HOST: "127.0.0.1", FERRY_ADMIN_TOKEN: ADMIN_TOKEN, ...database.env }),
      { logger: createLogger(process.env.FERRY_TEST_LOG ?? "silent") },
    );
    cleanups.push(() => server.stop());
    const caughtUp = await eventually(
      async () => {
        const d = await drift(server.url);
        return JSON.stringify(d) !== JSON.stringify(before) && d;
      },
      120_000,
      "the drift of the report after the restart",
    );
    expect(caughtUp).toEqual([
      {
        field: "maximumStorageMigrations",
        desired: String(desiredStorage),
        actual: "7",
      },
    ]);
  });
});
