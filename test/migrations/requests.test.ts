// Issue 10 / 12 defects of requesting and following moves: vhds that are not the VM's, idempotency
// under concurrency, migrationProgress of an unknown id, host checks re-run at start
// (the long-blackout warning is in failures.test.ts, whose world runs faster).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { type FleetIds, fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "./world.ts";

const STORAGE_GQL = /* GraphQL */ `
  mutation($input: MoveVmStorageInput!) {
    moveVmStorage(input: $input) {
      migration { id state }
      errors { __typename message ... on ValidationError { field } }
    }
  }`;

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;

beforeAll(async () => {
  // 100 concurrent requests queue for the embedded database's single connection: waiting for it is
  // not a database outage here (the default 5 s connect bound counts the wait for a pooled connection).
  api = await startTestApi({ FERRY_DB_CONNECT_TIMEOUT_MS: "120000" });
  // Limit 1 and slow moves: later moves wait in the queue.
  const world = pairWorld(0, 1, 2);
  world.hosts[0]!.vms = ["vm-a", "vm-b", "vm-c", "vm-d", "vm-e"].map((name, i) =>
    testVm(name, `ffffffff-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, {
      memoryAssignedBytes: 1n * GiB,
      memoryStartupBytes: 1n * GiB,
      ...(name === "vm-e" ? { path: "D:\\VMs\\vm-e" } : {}),
    }),
  );
  fleet = await startTestFleet(api, { definition: world });
  ids = await fleetIds(api.gqlOk);
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

type MoveResult = {
  moveVm: {
    migration: { id: string; state: string } | null;
    errors: { __typename: string; message: string; field?: string }[] | null;
  };
};
const move = (vm: string, extra: Record<string, unknown> = {}) =>
  api.gqlOk<MoveResult>(MOVE_GQL, { input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2, ...extra } });

interface MigrationView {
  state: string;
  failure: { code: string; message: string; remedy: string } | null;
  timeline: { state: string; message: string | null }[];
}
const migration = async (id: string) =>
  (await api.gqlOk<{ node: MigrationView }>(MIGRATION_GQL, { id })).node;
const rowId = (globalId: string) => Buffer.from(globalId, "base64").toString().split(":")[1]!;

describe("moveVmStorage with vhds", () => {
  it("a source path that is not one of the VM's disks is a ValidationError naming the field; nothing is queued", {
    timeout: 300_000,
  }, async () => {
    const before = await api.server.app.db.prisma.migration.count();
    const r = await api.gqlOk<{ moveVmStorage: MoveResult["moveVm"] }>(STORAGE_GQL, {
      input: {
        vm: ids.vms["vm-e"],
        vhds: [{ sourcePath: "D:\\VMs\\other\\disk.vhdx", destinationPath: "E:\\VMs\\disk.vhdx" }],
      },
    });
    expect(r.moveVmStorage.migration).toBeNull();
    expect(r.moveVmStorage.errors).toEqual([
      expect.objectContaining({ __typename: "ValidationError", field: "input.vhds.0.sourcePath" }),
    ]);
    expect(r.moveVmStorage.errors![0]!.message).toMatch(/not a disk of vm-e/);
    expect(await api.server.app.db.prisma.migration.count()).toBe(before);
  });
});

describe("idempotency keys (issue 10, issue 12 item 5)", () => {
  it("100 concurrent requests with one key and one input all get the same migration, none an error", {
    timeout: 300_000,
  }, async () => {
    const results = await Promise.all(
      Array.from({ length: 100 }, () => move("vm-a", { idempotencyKey: "same-100" })),
    );
    const errors = results.flatMap((r) => r.moveVm.errors ?? []);
    expect(errors).toEqual([]);
    const migrationIds = new Set(results.map((r) => r.moveVm.migration?.id));
    expect(migrationIds.size).toBe(1);
    expect(await api.server.app.db.prisma.migration.count({ where: { vmName: "vm-a" } })).toBe(1);
  });

  it("the same key with another input is a ConflictError, never the first VM's migration", {
    timeout: 300_000,
  }, async () => {
    const first = await move("vm-b", { idempotencyKey: "k-b" });
    expect(first.moveVm.errors).toBeNull();
    const otherVm = await move("vm-c", { idempotencyKey: "k-b" });
    expect(otherVm.moveVm.migration).toBeNull();
    expect(otherVm.moveVm.errors?.[0]).toMatchObject({ __typename: "ConflictError" });
    expect(otherVm.moveVm.errors?.[0]?.message).toMatch(/idempotencyKey/);
    const otherInput = await move("vm-b", {
      idempotencyKey: "k-b",
      includeStorage: true,
      destinationStoragePath: "\\\\fs01\\vms\\elsewhere",
    });
    expect(otherInput.moveVm.errors?.[0]).toMatchObject({ __typename: "ConflictError" });
    expect(await api.server.app.db.prisma.migration.count({ where: { vmName: "vm-c" } })).toBe(0);
    // The same key and input still answers with the first migration.
    expect((await move("vm-b", { idempotencyKey: "k-b" })).moveVm.migration?.id).toBe(
      first.moveVm.migration!.id,
    );
  });
});

describe("migrationProgress", () => {
  it("for an unknown id is a NOT_FOUND error, not an empty completed stream", {
    timeout: 300_000,
  }, async () => {
    const client = wsClient(api.url, ADMIN_TOKEN);
    try {
      const unknown = Buffer.from("Migration:00000000-0000-4000-8000-00000000abcd").toString("base64");
      const feed = collect<unknown>(
        client,
        "subscription($id: ID!) { migrationProgress(id: $id) { id state } }",
        {
          id: unknown,
        },
      );
      await eventually(async () => feed.errors.length > 0 || feed.completed || null, 20_000, "an answer");
      expect(feed.events).toEqual([]);
      expect(feed.errors.flat()).toEqual([
        expect.objectContaining({ extensions: expect.objectContaining({ code: "NOT_FOUND" }) }),
      ]);
    } finally {
      await client.dispose();
    }
  });
});

describe("host checks re-run just before a queued move starts (issue 10)", () => {
  it("a move whose destination disabled migration while it waited ends FAILED with the check's code, without a START_MOVE", {
    timeout: 300_000,
  }, async () => {
    const prisma = api.server.app.db.prisma;
    // vm-d waits in the queue (scheduled an hour ahead; the moves above may all have ended on a loaded
    // machine, so a free slot cannot be what holds it) until HV2's agent has disabled migration.
    const waiting = await move("vm-d", { notBefore: new Date(Date.now() + 3_600_000).toISOString() });
    expect(waiting.moveVm.errors).toBeNull();
    const id = waiting.moveVm.migration!.id;
    const disabled = await api.gqlOk<{ disableMigration: { operations: { id: string }[] } }>(
      "mutation($h: [ID!]!) { disableMigration(hosts: $h) { operations { id } } }",
      { h: [ids.hosts.HV2] },
    );
    expect(disabled.disableMigration.operations).toHaveLength(1);
    await eventually(
      async () =>
        (await prisma.migrationSettings.findFirst({ where: { host: { name: "HV2" } } }))?.enabled === false ||
        null,
      120_000,
      "HV2's agent reported migration disabled",
    );
    expect((await migration(id)).state).toBe("QUEUED");
    // Its wait ends now: the scheduler's next pass re-runs the host checks before starting it.
    await prisma.migration.update({ where: { id: rowId(id) }, data: { notBefore: new Date() } });
    const failed = await eventually(
      async () => {
        const m = await migration(id);
        return m.state === "FAILED" ? m : null;
      },
      120_000,
      "vm-d fails at start",
    );
    expect(failed.failure).toMatchObject({
      code: "MIGRATION_DISABLED",
      remedy: expect.stringMatching(/enableMigration/),
    });
    expect(failed.timeline.map((s) => s.state)).toEqual(["QUEUED", "FAILED"]);
    expect(await prisma.agentCommand.count({ where: { migrationId: rowId(id) } })).toBe(0);
    await api.gqlOk("mutation($h: [ID!]!) { enableMigration(hosts: $h) { operations { id } } }", {
      h: [ids.hosts.HV2],
    });
    await eventually(
      async () =>
        (await prisma.migrationSettings.findFirst({ where: { host: { name: "HV2" } } }))?.enabled || null,
      30_000,
      "HV2 enabled again",
    );
  });
});
