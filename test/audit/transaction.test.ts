// Issue 12 item 6: every mutation that changes Ferry's database commits its audit entry in the same
// transaction. The database itself refuses the entry (a trigger on "AuditEntry", no test hook in
// the API): the change must not happen and the client gets a typed, retryable error; with the
// trigger gone the same call makes its change and leaves exactly one SUCCEEDED entry.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { CANCEL_GQL, type FleetIds, fleetIds, MOVE_GQL, pairWorld } from "../migrations/world.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;

beforeAll(async () => {
  api = await startTestApi();
  // One move at a time per host and very slow moves: a second move stays QUEUED.
  fleet = await startTestFleet(api, { definition: pairWorld(3, 1, 0.05) });
  ids = await fleetIds(api.gqlOk);
  await sql(`CREATE TABLE test_refused_audit (operation text PRIMARY KEY)`);
  await sql(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.outcome = 'SUCCEEDED' AND EXISTS (SELECT 1 FROM test_refused_audit r WHERE r.operation = NEW.operation) THEN
        RAISE EXCEPTION 'audit entry refused by the test';
      END IF;
      RETURN NEW;
    END $$`);
  await sql(`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON "AuditEntry"
    FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`);
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const sql = (text: string) => api.server.app.db.prisma.$executeRawUnsafe(text);
const db = () => api.server.app.db.prisma;

const entries = (operation: string, outcome = "SUCCEEDED") =>
  db().auditEntry.count({ where: { operation, outcome } });

/**
 * Runs `call` once while the database refuses `operation`'s entry (expects a SERVICE_UNAVAILABLE
 * AUDIT_WRITE_FAILED error, `unchanged` still true and a FAILED entry), then once more with entries
 * allowed (expects no errors and exactly one SUCCEEDED entry). Returns the second call's data.
 */
async function atomically<T>(
  operation: string,
  call: () => Promise<{ data: T; errors?: { extensions?: Record<string, unknown> }[]; status: number }>,
  unchanged: () => Promise<boolean>,
): Promise<T> {
  const [succeeded, failed] = [await entries(operation), await entries(operation, "FAILED")];
  await sql(`INSERT INTO test_refused_audit VALUES ('${operation}')`);
  try {
    const refused = await call();
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      reason: "AUDIT_WRITE_FAILED",
      retryable: true,
    });
    expect(await unchanged()).toBe(true);
    expect(await entries(operation)).toBe(succeeded);
    expect(await entries(operation, "FAILED")).toBe(failed + 1);
  } finally {
    await sql(`DELETE FROM test_refused_audit`);
  }
  const done = await call();
  expect(done.errors ?? []).toEqual([]);
  const payload = Object.values(done.data as Record<string, { errors?: unknown }>)[0];
  expect(payload?.errors ?? null).toBeNull();
  expect(await unchanged()).toBe(false);
  expect(await entries(operation)).toBe(succeeded + 1);
  return done.data;
}

const vmGuid = (name: string) => `aaaaaaaa-0000-4000-8000-${name.replace("vm-", "").padStart(12, "0")}`;
const migrationsOf = (name: string) => db().migration.count({ where: { vmGuid: vmGuid(name) } });

describe("a change and its audit entry commit together", () => {
  it("moveVm and cancelMigration", async () => {
    const move = (vm: string) => () =>
      api.gql<{ moveVm: { migration: { id: string } } }>(MOVE_GQL, {
        input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2 },
      });
    await atomically("moveVm", move("vm-1"), async () => (await migrationsOf("vm-1")) === 0);
    // Host limit 1 and a slow first move: the second stays QUEUED.
    const second = await api.gqlOk<{ moveVm: { migration: { id: string; state: string } } }>(MOVE_GQL, {
      input: { vm: ids.vms["vm-2"], destinationHost: ids.hosts.HV2 },
    });
    expect(second.moveVm.migration.state).toBe("QUEUED");
    const id = second.moveVm.migration.id;
    const raw = (await db().migration.findFirstOrThrow({ where: { vmGuid: vmGuid("vm-2") } })).id;
    await atomically(
      "cancelMigration",
      () => api.gql(CANCEL_GQL, { id }),
      async () => (await db().migration.findUniqueOrThrow({ where: { id: raw } })).state === "QUEUED",
    );
    expect((await db().migration.findUniqueOrThrow({ where: { id: raw } })).state).toBe("CANCELLED");
  });

  it("host configuration: one command per host and the entry, all or none", async () => {
    const commands = (type: string) => db().agentCommand.count({ where: { type } });
    await atomically(
      "addMigrationNetwork",
      () =>
        api.gql(
          `mutation($input: AddMigrationNetworkInput!) { addMigrationNetwork(input: $input) { operations { id } errors { message } } }`,
          { input: { hosts: [ids.hosts.HV1, ids.hosts.HV2], subnet: "10.77.0.0/24", priority: 5 } },
        ),
      async () => (await commands("ADD_MIGRATION_NETWORK")) === 0,
    );
    expect(await commands("ADD_MIGRATION_NETWORK")).toBe(2);
  });

  it("migration profiles: create, apply (assignment and commands), delete", async () => {
    const created = await atomically(
      "createMigrationProfile",
      () =>
        api.gql<{ createMigrationProfile: { profile: { id: string } } }>(
          `mutation { createMigrationProfile(input: {name: "atomic", maximumStorageMigrations: 3}) { profile { id } errors { message } } }`,
        ),
      async () => (await db().migrationProfile.count({ where: { name: "atomic" } })) === 0,
    );
    const profile = created.createMigrationProfile.profile.id;
    await atomically(
      "applyMigrationProfile",
      () =>
        api.gql(
          `mutation($input: ApplyMigrationProfileInput!) { applyMigrationProfile(input: $input) { operations { id } errors { message } } }`,
          { input: { profile, hosts: [ids.hosts.HV1, ids.hosts.HV2] } },
        ),
      async () =>
        (await db().host.count({ where: { profileId: { not: null } } })) === 0 &&
        (await db().agentCommand.count({ where: { type: "APPLY_MIGRATION_SETTINGS" } })) === 0,
    );
    await atomically(
      "deleteMigrationProfile",
      () =>
        api.gql(`mutation($id: ID!) { deleteMigrationProfile(id: $id) { errors { message } } }`, {
          id: profile,
        }),
      async () => (await db().migrationProfile.count({ where: { name: "atomic" } })) === 1,
    );
  });

  it("token revocation", async () => {
    const token = await api.gqlOk<{ createApiToken: { apiToken: { id: string } } }>(
      `mutation { createApiToken(input: {name: "to-revoke", role: VIEWER}) { apiToken { id } } }`,
    );
    await atomically(
      "revokeApiToken",
      () =>
        api.gql(
          `mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { revokedAt } errors { message } } }`,
          {
            id: token.createApiToken.apiToken.id,
          },
        ),
      async () => (await db().apiToken.findFirstOrThrow({ where: { name: "to-revoke" } })).revokedAt === null,
    );
  });

  it("an agent: enrollment, a command's answer (with its COMMAND entry), credential revocation", async () => {
    const enrollment = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
      `mutation { createAgentEnrollment(input: {hostName: "HV-TX"}) { token } }`,
    );
    const enrolled = await atomically(
      "enrollAgent",
      () =>
        api.gql<{ enrollAgent: { credential: string; hostId: string } }>(
          `mutation { enrollAgent(input: {hostName: "HV-TX"}) { credential hostId errors { message } } }`,
          {},
          enrollment.createAgentEnrollment.token,
        ),
      async () => (await db().agentCredential.count({ where: { host: { name: "HV-TX" } } })) === 0,
    );
    const { credential, hostId } = enrolled.enrollAgent;
    const issued = await api.gqlOk<{ enableMigration: { operations: { id: string }[] } }>(
      `mutation($h: ID!) { enableMigration(hosts: [$h]) { operations { id } } }`,
      { h: hostId },
    );
    const command = await eventually(
      () => db().agentCommand.findFirst({ where: { type: "ENABLE_MIGRATION", host: { name: "HV-TX" } } }),
      10_000,
      "the command",
    );
    await atomically(
      "agentCommandResult",
      () =>
        api.gql(
          `mutation($id: ID!) { agentCommandResult(input: {commandId: $id, succeeded: false, errorCode: "ACCESS_DENIED", errorMessage: "no"}) { status errors { message } } }`,
          { id: command.id },
          credential,
        ),
      async () =>
        (await db().agentCommand.findUniqueOrThrow({ where: { id: command.id } })).status === "PENDING" &&
        (await entries("command:ENABLE_MIGRATION", "FAILED")) === 0,
    );
    expect(issued.enableMigration.operations).toHaveLength(1);
    expect(await entries("command:ENABLE_MIGRATION", "FAILED")).toBe(1);
    await atomically(
      "revokeAgentCredential",
      () =>
        api.gql(`mutation($h: ID!) { revokeAgentCredential(host: $h) { revokedCount errors { message } } }`, {
          h: hostId,
        }),
      async () =>
        (await db().agentCredential.count({ where: { host: { name: "HV-TX" }, revokedAt: null } })) === 1,
    );
  });
});
