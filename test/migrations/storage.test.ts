// Issue 4: storage migrations (Move-VMStorage) and live migration with storage.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { testVm } from "../helpers/sim-world.ts";
import { type FleetIds, fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "./world.ts";

const STORAGE_GQL = /* GraphQL */ `
  mutation($input: MoveVmStorageInput!) {
    moveVmStorage(input: $input) {
      migration { id state kind }
      errors { __typename message ... on ValidationError { field } }
    }
  }`;

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;

beforeAll(async () => {
  api = await startTestApi();
  // Time x200: the 40 GiB disks move in about a second (the live move with storage copies them over
  // 1 GbE, ~6 simulated minutes). Nothing here looks at a move midway, only at its outcome.
  const world = pairWorld(0, 2, 200);
  world.hosts[0]!.vms = [
    testVm("vm-files", "eeeeeeee-0000-4000-8000-000000000001", { path: "D:\\VMs\\vm-files" }),
    testVm("vm-disks", "eeeeeeee-0000-4000-8000-000000000002", { path: "D:\\VMs\\vm-disks" }),
    testVm("vm-travel", "eeeeeeee-0000-4000-8000-000000000003", { path: "D:\\VMs\\vm-travel" }),
  ];
  fleet = await startTestFleet(api, { definition: world });
  ids = await fleetIds(api.gqlOk);
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

type VmView = {
  vms: { edges: { node: { path: string; host: { name: string }; hardDrives: { path: string }[] } }[] };
};
const vm = async (name: string) =>
  (
    await api.gqlOk<VmView>(
      "query($n: String!) { vms(filter: {name: $n}) { edges { node { path host { name } hardDrives { path } } } } }",
      { n: name },
    )
  ).vms.edges[0]!.node;

async function succeeded(id: string) {
  const m = await eventually(
    async () => {
      const node = (await api.gqlOk<{ node: { state: string; failure: unknown } }>(MIGRATION_GQL, { id }))
        .node;
      return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(node.state) ? node : null;
    },
    60_000,
    "migration ends",
  );
  expect(m, JSON.stringify(m.failure)).toMatchObject({ state: "SUCCEEDED" });
}

describe("storage migrations", () => {
  it("refuses a destination folder on a volume the host does not have (preflight: storage room)", async () => {
    const r = await api.gqlOk<{
      moveVmStorage: {
        migration: unknown;
        errors: {
          __typename: string;
          report?: { checks: { name: string; status: string; message: string }[] };
        }[];
      };
    }>(
      STORAGE_GQL.replace(
        "errors { __typename message",
        "errors { __typename message ... on PreflightFailedError { report { checks { name status message } } }",
      ),
      { input: { vm: ids.vms["vm-files"], destinationStoragePath: "E:\\Fast\\vm-files" } },
    );
    expect(r.moveVmStorage.migration).toBeNull();
    const room = r.moveVmStorage.errors[0]!.report!.checks.find((c) => c.name === "storage room")!;
    expect(room).toMatchObject({ status: "FAIL" });
    expect(room.message).toMatch(/no volume E:/);
  });

  it("moves a whole VM's storage to a new folder on its host", async () => {
    const r = await api.gqlOk<{ moveVmStorage: { migration: { id: string; kind: string } } }>(STORAGE_GQL, {
      input: { vm: ids.vms["vm-files"], destinationStoragePath: "D:\\Fast\\vm-files" },
    });
    expect(r.moveVmStorage.migration.kind).toBe("STORAGE");
    await succeeded(r.moveVmStorage.migration.id);
    await eventually(
      async () => (await vm("vm-files")).path === "D:\\Fast\\vm-files",
      20_000,
      "inventory shows the new path",
    );
    const moved = await vm("vm-files");
    expect(moved.host.name).toBe("HV1");
    expect(moved.hardDrives.every((d) => d.path.startsWith("D:\\Fast\\vm-files\\"))).toBe(true);
  });

  it("validates per-disk moves (same file name, either path or disks) and moves a single disk", async () => {
    const disk = (await vm("vm-disks")).hardDrives[0]!.path;
    const bad = await api.gqlOk<{ moveVmStorage: { errors: { __typename: string; field: string }[] } }>(
      STORAGE_GQL,
      {
        input: {
          vm: ids.vms["vm-disks"],
          vhds: [{ sourcePath: disk, destinationPath: "D:\\Other\\renamed.vhdx" }],
        },
      },
    );
    expect(bad.moveVmStorage.errors[0]).toMatchObject({
      __typename: "ValidationError",
      field: "input.vhds.0.destinationPath",
    });
    const both = await api.gqlOk<{ moveVmStorage: { errors: { __typename: string }[] } }>(STORAGE_GQL, {
      input: {
        vm: ids.vms["vm-disks"],
        destinationStoragePath: "D:\\x",
        vhds: [{ sourcePath: disk, destinationPath: "D:\\x\\a.vhdx" }],
      },
    });
    expect(both.moveVmStorage.errors[0]!.__typename).toBe("ValidationError");
    const fileName = disk.split("\\").pop()!;
    const ok = await api.gqlOk<{ moveVmStorage: { migration: { id: string } } }>(STORAGE_GQL, {
      input: {
        vm: ids.vms["vm-disks"],
        vhds: [{ sourcePath: disk, destinationPath: `D:\\Disks\\${fileName}` }],
      },
    });
    await succeeded(ok.moveVmStorage.migration.id);
    await eventually(
      async () => (await vm("vm-disks")).hardDrives[0]!.path === `D:\\Disks\\${fileName}`,
      20_000,
      "disk at its new path",
    );
  });

  it("live-migrates a VM on host-local storage with includeStorage, files and all", async () => {
    const r = await api.gqlOk<{
      moveVm: { migration: { id: string; kind: string } | null; errors: unknown };
    }>(MOVE_GQL, {
      input: {
        vm: ids.vms["vm-travel"],
        destinationHost: ids.hosts.HV2,
        includeStorage: true,
        destinationStoragePath: "D:\\VMs\\vm-travel",
      },
    });
    expect(r.moveVm.errors).toBeNull();
    expect(r.moveVm.migration!.kind).toBe("LIVE_WITH_STORAGE");
    await succeeded(r.moveVm.migration!.id);
    await eventually(async () => (await vm("vm-travel")).host.name === "HV2", 20_000, "vm-travel on HV2");
  });
});
