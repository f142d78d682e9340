// Issue 4: preflight, validation, idempotency, conflicts, cancel, live progress over graphql-ws.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import {
  CANCEL_GQL,
  type FleetIds,
  fleetIds,
  MIGRATION_GQL,
  MOVE_GQL,
  PREFLIGHT_GQL,
  pairWorld,
} from "./world.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;

type MovePayload = {
  moveVm: {
    migration: { id: string; state: string; queuePosition: number | null } | null;
    errors:
      | {
          __typename: string;
          message: string;
          field?: string;
          report?: { ok: boolean; checks: { name: string; status: string; remedy: string | null }[] };
        }[]
      | null;
  };
};

beforeAll(async () => {
  api = await startTestApi();
  const world = pairWorld(3, 1, 8);
  const hv1 = world.hosts[0]!;
  hv1.vms.push(
    testVm("vm-big", "bbbbbbbb-0000-4000-8000-000000000001", {
      memoryAssignedBytes: 16n * GiB,
      memoryStartupBytes: 16n * GiB,
    }),
    testVm("vm-big2", "bbbbbbbb-0000-4000-8000-000000000002", {
      memoryAssignedBytes: 16n * GiB,
      memoryStartupBytes: 16n * GiB,
    }),
    testVm("vm-mid", "bbbbbbbb-0000-4000-8000-000000000003", {
      memoryAssignedBytes: 4n * GiB,
      memoryStartupBytes: 4n * GiB,
    }),
    testVm("vm-local", "bbbbbbbb-0000-4000-8000-000000000004", { path: "D:\\VMs\\vm-local" }),
  );
  world.hosts[1]!.facts.memoryCapacityBytes = 128n * GiB;
  fleet = await startTestFleet(api, { definition: world });
  ids = await fleetIds(api.gqlOk);
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const move = (vm: string, extra: Record<string, unknown> = {}) =>
  api.gqlOk<MovePayload>(MOVE_GQL, { input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2, ...extra } });

const state = async (id: string) =>
  (
    await api.gqlOk<{ node: { state: string; timeline: { state: string; percentComplete: number }[] } }>(
      MIGRATION_GQL,
      { id },
    )
  ).node;

describe("moveVm input and preflight", () => {
  it("validates input before anything happens, naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ vm: "not-an-id", destinationHost: ids.hosts.HV2 }, "input.vm"],
      [{ vm: ids.vms["vm-1"], destinationHost: ids.vms["vm-2"] }, "input.destinationHost"],
      [
        { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2, includeStorage: true },
        "input.destinationStoragePath",
      ],
      [
        {
          vm: ids.vms["vm-1"],
          destinationHost: ids.hosts.HV2,
          includeStorage: true,
          destinationStoragePath: "relative\\path",
        },
        "input.destinationStoragePath",
      ],
      [
        { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2, destinationStoragePath: "E:\\VMs" },
        "input.includeStorage",
      ],
      [{ vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2, idempotencyKey: "" }, "input.idempotencyKey"],
    ];
    for (const [input, field] of cases) {
      const r = await api.gqlOk<MovePayload>(MOVE_GQL, { input });
      expect(r.moveVm.migration, JSON.stringify(input)).toBeNull();
      expect(r.moveVm.errors?.[0]).toMatchObject({ __typename: "ValidationError", field });
    }
    expect(await api.server.app.db.prisma.migration.count()).toBe(0);
  });

  it("a FAILing preflight blocks moveVm and returns the report; migrationPreflight shows the same", async () => {
    const r = await move("vm-local");
    expect(r.moveVm.migration).toBeNull();
    const error = r.moveVm.errors![0]!;
    expect(error.__typename).toBe("PreflightFailedError");
    const storage = error.report!.checks.find((c) => c.name === "storage")!;
    expect(storage).toMatchObject({ status: "FAIL" });
    expect(storage.remedy).toMatch(/includeStorage/);
    const dry = await api.gqlOk<{
      migrationPreflight: { ok: boolean; checks: { name: string; status: string }[] };
    }>(PREFLIGHT_GQL, {
      input: { vm: ids.vms["vm-local"], destinationHost: ids.hosts.HV2 },
    });
    expect(dry.migrationPreflight.ok).toBe(false);
    const good = await api.gqlOk<{
      migrationPreflight: { ok: boolean; checks: { name: string; status: string }[] };
    }>(PREFLIGHT_GQL, {
      input: { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2 },
    });
    expect(good.migrationPreflight.ok).toBe(true);
    expect(good.migrationPreflight.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "destination",
        "authentication",
        "switches",
        "memory",
        "processor",
        "storage",
        "compare-vm",
        "firewall live migration",
      ]),
    );
    expect(await api.server.app.db.prisma.migration.count({ where: { vmName: "vm-local" } })).toBe(0);
  });
});

describe("queue, idempotency, conflicts and cancel (limit 1)", () => {
  it("returns the same migration for a repeated idempotency key, refuses a second active move of a VM, and cancels queued and running moves", async () => {
    const first = await move("vm-big", { idempotencyKey: "big-1" });
    const again = await move("vm-big", { idempotencyKey: "big-1" });
    const bigId = first.moveVm.migration!.id;
    expect(again.moveVm.migration!.id).toBe(bigId);
    const conflict = await move("vm-big");
    expect(conflict.moveVm.errors?.[0]?.__typename).toBe("ConflictError");
    expect(await api.server.app.db.prisma.migration.count({ where: { vmName: "vm-big" } })).toBe(1);

    // Limit 1: the second move waits in the queue and can be cancelled at once.
    const queued = await move("vm-big2");
    expect(queued.moveVm.migration).toMatchObject({ state: "QUEUED", queuePosition: 1 });
    const cancelQueued = await api.gqlOk<{ cancelMigration: { migration: { state: string } } }>(CANCEL_GQL, {
      id: queued.moveVm.migration!.id,
    });
    expect(cancelQueued.cancelMigration.migration.state).toBe("CANCELLED");

    // The running one goes CANCELLING, then CANCELLED once Hyper-V stops the job.
    await eventually(
      async () => (await state(bigId)).timeline.some((s) => s.percentComplete > 0),
      20_000,
      "vm-big makes progress",
    );
    const cancelRunning = await api.gqlOk<{ cancelMigration: { migration: { state: string } } }>(CANCEL_GQL, {
      id: bigId,
    });
    expect(cancelRunning.cancelMigration, JSON.stringify(cancelRunning)).toMatchObject({
      migration: { state: "CANCELLING" },
    });
    const ended = await eventually(
      async () => {
        const m = await state(bigId);
        return m.state === "CANCELLED" ? m : null;
      },
      20_000,
      "vm-big cancelled",
    );
    expect(ended.timeline.map((s) => s.state)).toEqual(
      expect.arrayContaining(["QUEUED", "STARTING", "RUNNING", "CANCELLING", "CANCELLED"]),
    );
    const late = await api.gql<{ cancelMigration: { errors: { __typename: string }[] } }>(CANCEL_GQL, {
      id: bigId,
    });
    expect(late.data.cancelMigration.errors[0]!.__typename).toBe("ConflictError");
    // The VM stayed on HV1 in the simulated Hyper-V.
    const hv1 = fleet.world.definition().hosts.find((h) => h.facts.name === "HV1")!;
    expect(hv1.vms.some((v) => v.name === "vm-big")).toBe(true);
  });

  it("streams migrationProgress over graphql-ws with monotonic percent and completes after success", async () => {
    const client = wsClient(api.url, ADMIN_TOKEN);
    const all = collect<{ migrationsChanged: { vmName: string; state: string } }>(
      client,
      'subscription { migrationsChanged(filter: { vmName: "vm-mid" }) { vmName state } }',
    );
    await new Promise((r) => setTimeout(r, 200));
    const started = await move("vm-mid");
    const id = started.moveVm.migration!.id;
    const progress = collect<{ migrationProgress: { state: string; percentComplete: number } }>(
      client,
      "subscription($id: ID!) { migrationProgress(id: $id) { state percentComplete } }",
      { id },
    );
    await eventually(
      async () => progress.completed,
      60_000,
      `progress stream completes (${JSON.stringify(progress.events)})`,
    );
    const percents = progress.events.map((e) => e.migrationProgress.percentComplete);
    expect(percents.length).toBeGreaterThan(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(progress.events.at(-1)!.migrationProgress).toEqual({ state: "SUCCEEDED", percentComplete: 100 });
    expect(progress.errors).toEqual([]);
    await all.next((e) => e.migrationsChanged.state === "SUCCEEDED");
    expect(all.events.every((e) => e.migrationsChanged.vmName === "vm-mid")).toBe(true);
    all.stop();
    await client.dispose();
    const vm = await api.gqlOk<{
      vms: { edges: { node: { host: { name: string }; migrations: { totalCount: number } } }[] };
    }>('{ vms(filter: { name: "vm-mid" }) { edges { node { host { name } migrations { totalCount } } } } }');
    expect(vm.vms.edges[0]!.node).toEqual({ host: { name: "HV2" }, migrations: { totalCount: 1 } });
  });
});
