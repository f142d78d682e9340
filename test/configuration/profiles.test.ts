// Issue 5 "done when": a profile applied to 3 drifting hosts leaves `drift` empty on all of them.
// Also: drift follows profile edits and inventory reports (published with hostChanged), CRUD and
// validation of profiles. Through GraphQL, simulated agents.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { ERRORS_FIELDS, hosts, type Operation, settled } from "./helpers.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: Record<string, string>;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { hosts: 3, timeScale: 200, vmsPerHost: 2 });
  ids = Object.fromEntries((await hosts(api)).map((h) => [h.name, h.id]));
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const PROFILE_FIELDS = `id name enabled authenticationType performanceOption maximumVirtualMachineMigrations
  maximumStorageMigrations useAnyNetworkForMigration networks { subnet priority } hosts { name }`;
const CREATE = `mutation($input: CreateMigrationProfileInput!) { createMigrationProfile(input: $input) {
  profile { ${PROFILE_FIELDS} } ${ERRORS_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateMigrationProfileInput!) { updateMigrationProfile(input: $input) {
  profile { ${PROFILE_FIELDS} } ${ERRORS_FIELDS} } }`;
const ASSIGN = `mutation($input: AssignMigrationProfileInput!) { assignMigrationProfile(input: $input) {
  hosts { name profile { name } drift { field desired actual message } } ${ERRORS_FIELDS} } }`;
const APPLY = `mutation($input: ApplyMigrationProfileInput!) { applyMigrationProfile(input: $input) {
  operations { id kind status host { name } } ${ERRORS_FIELDS} } }`;
const DRIFT = `{ hosts { edges { node { name profile { name } drift { field desired actual message }
  migrationSettings { enabled authenticationType performanceOption maximumVirtualMachineMigrations
    maximumStorageMigrations useAnyNetworkForMigration networks { subnet priority } } } } } }`;

type DriftItem = { field: string; desired: string | null; actual: string | null; message: string };
type DriftHost = {
  name: string;
  profile: { name: string } | null;
  drift: DriftItem[];
  migrationSettings: Record<string, unknown>;
};

async function driftByHost(): Promise<Record<string, DriftHost>> {
  const data = await api.gqlOk<{ hosts: { edges: { node: DriftHost }[] } }>(DRIFT);
  return Object.fromEntries(data.hosts.edges.map((e) => [e.node.name, e.node]));
}

const desired = {
  name: "production",
  enabled: true,
  authenticationType: "KERBEROS",
  performanceOption: "COMPRESSION",
  maximumVirtualMachineMigrations: 4,
  maximumStorageMigrations: 3,
  useAnyNetworkForMigration: false,
  networks: [
    { subnet: "10.0.1.0/24", priority: 1 },
    { subnet: "10.60.0.0/16", priority: 2 },
  ],
};

describe("migration profiles", () => {
  let profileId: string;

  it("creates a profile; assigning it shows every difference as drift", async () => {
    const created = await api.gqlOk<{
      createMigrationProfile: { profile: { id: string; networks: unknown } };
    }>(CREATE, {
      input: desired,
    });
    profileId = created.createMigrationProfile.profile.id;
    expect(created.createMigrationProfile.profile.networks).toEqual(desired.networks);

    // Make the hosts differ on purpose (besides the generated fleet's own differences).
    const a = fleet.hostNames[0]!;
    await fleet.world.backend(a).disableMigration();
    await fleet.world.backend(a).addMigrationNetwork({ subnet: "172.16.0.0/12", priority: 9 });

    const assigned = await api.gqlOk<{ assignMigrationProfile: { hosts: DriftHost[] } }>(ASSIGN, {
      input: { profile: profileId, hosts: Object.values(ids) },
    });
    expect(assigned.assignMigrationProfile.hosts.map((h) => h.profile?.name)).toEqual([
      "production",
      "production",
      "production",
    ]);
    // Every host drifts (the generated fleet has no 10.60.0.0/16 network anywhere).
    for (const h of assigned.assignMigrationProfile.hosts) {
      expect(h.drift.map((d) => d.field)).toContain("networks[10.60.0.0/16]");
    }
    const driftA = await eventually(
      async () => {
        const d = (await driftByHost())[a]!.drift;
        return d.some((i) => i.field === "enabled") ? d : null;
      },
      20_000,
      `drift on ${a} after the simulator changed it`,
    );
    expect(driftA).toContainEqual(
      expect.objectContaining({ field: "enabled", desired: "true", actual: "false" }),
    );
    expect(driftA).toContainEqual(
      expect.objectContaining({
        field: "networks[172.16.0.0/12]",
        desired: null,
        actual: "172.16.0.0/12 priority 9",
      }),
    );
  });

  it("applied to 3 drifting hosts, leaves drift empty on all of them", async () => {
    const before = await driftByHost();
    for (const name of fleet.hostNames) expect(before[name]!.drift.length, name).toBeGreaterThan(0);

    const data = await api.gqlOk<{ applyMigrationProfile: { operations: Operation[]; errors: unknown } }>(
      APPLY,
      {
        input: { profile: profileId },
      },
    );
    expect(data.applyMigrationProfile.errors).toBeNull();
    expect(data.applyMigrationProfile.operations).toHaveLength(3);
    const ops = await settled(
      api,
      data.applyMigrationProfile.operations.map((o) => o.id),
    );
    for (const op of ops) expect(op).toMatchObject({ status: "SUCCEEDED", kind: "APPLY_MIGRATION_SETTINGS" });

    // Drift follows the agents' reports in the background, moments after the operations succeeded.
    const after = await eventually(
      async () => {
        const d = await driftByHost();
        return fleet.hostNames.every((name) => d[name]!.drift.length === 0) && d;
      },
      120_000,
      "empty drift on every host after the operations succeeded",
    );
    for (const name of fleet.hostNames) {
      expect(after[name]!.drift, name).toEqual([]);
      expect(after[name]!.migrationSettings).toEqual({
        enabled: true,
        authenticationType: "KERBEROS",
        performanceOption: "COMPRESSION",
        maximumVirtualMachineMigrations: 4,
        maximumStorageMigrations: 3,
        useAnyNetworkForMigration: false,
        networks: desired.networks,
      });
    }
  });

  it("drift is recomputed on an inventory report and published with hostChanged", async () => {
    const a = fleet.hostNames[1]!;
    const client = wsClient(api.url, ADMIN_TOKEN);
    const feed = collect<{ hostChanged: { name: string; drift: DriftItem[] } }>(
      client,
      `subscription($host: ID) { hostChanged(host: $host) { name drift { field desired actual } } }`,
      { host: ids[a] },
    );
    await new Promise((r) => setTimeout(r, 300));
    // Someone changes the host outside Ferry; the agent's next report brings the drift.
    await fleet.world.backend(a).setHostSettings({ maximumStorageMigrations: 7 });
    const event = await feed.next(
      (e) => e.hostChanged.drift.some((d) => d.field === "maximumStorageMigrations"),
      20_000,
    );
    expect(event.hostChanged.drift).toEqual([
      { field: "maximumStorageMigrations", desired: "3", actual: "7" },
    ]);
    feed.stop();
    await client.dispose();
  });

  it("editing the profile changes the drift of its hosts at once; null stops managing a setting", async () => {
    await api.gqlOk(UPDATE, { input: { id: profileId, maximumVirtualMachineMigrations: 6 } });
    let drift = await driftByHost();
    for (const name of fleet.hostNames) {
      expect(drift[name]!.drift).toContainEqual(
        expect.objectContaining({ field: "maximumVirtualMachineMigrations", desired: "6", actual: "4" }),
      );
    }
    await api.gqlOk(UPDATE, {
      input: { id: profileId, maximumVirtualMachineMigrations: null, maximumStorageMigrations: null },
    });
    drift = await driftByHost();
    for (const name of fleet.hostNames) expect(drift[name]!.drift, name).toEqual([]);
  });

  it("refuses bad profiles with typed errors naming the field, and creates nothing", async () => {
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ ...desired, name: "" }, "ValidationError", "input.name"],
      [{ ...desired, name: "production" }, "ConflictError"],
      [{ ...desired, name: "PRODUCTION" }, "ConflictError"],
      [
        { ...desired, name: "x", maximumStorageMigrations: 0 },
        "ValidationError",
        "input.maximumStorageMigrations",
      ],
      [
        { ...desired, name: "x", networks: [{ subnet: "10.0.0.0/40" }] },
        "ValidationError",
        "input.networks[0].subnet",
      ],
      [
        { ...desired, name: "x", networks: [{ subnet: "10.1.0.0/16" }, { subnet: "10.1.0.0/16" }] },
        "ValidationError",
        "input.networks[1].subnet",
      ],
      [
        { ...desired, name: "x", networks: [{ subnet: "10.1.0.0/16", priority: -2 }] },
        "ValidationError",
        "input.networks[0].priority",
      ],
    ];
    const count = await api.server.app.db.prisma.migrationProfile.count();
    for (const [input, type, field] of cases) {
      const data = await api.gqlOk<{
        createMigrationProfile: { profile: unknown; errors: { __typename: string; field?: string }[] };
      }>(CREATE, { input });
      expect(data.createMigrationProfile.profile, JSON.stringify(input)).toBeNull();
      expect(data.createMigrationProfile.errors[0]).toMatchObject(
        field ? { __typename: type, field } : { __typename: type },
      );
    }
    expect(await api.server.app.db.prisma.migrationProfile.count()).toBe(count);

    const unknownProfile = Buffer.from("MigrationProfile:00000000-0000-4000-8000-000000000000").toString(
      "base64",
    );
    const commands = await api.server.app.db.prisma.agentCommand.count();
    const apply = await api.gqlOk<{ applyMigrationProfile: { errors: { __typename: string }[] } }>(APPLY, {
      input: { profile: unknownProfile, hosts: Object.values(ids) },
    });
    expect(apply.applyMigrationProfile.errors[0]!.__typename).toBe("NotFoundError");
    expect(await api.server.app.db.prisma.agentCommand.count()).toBe(commands);
  });

  it("lists profiles, unassigns, and deletes (hosts keep their settings, drift clears)", async () => {
    const list = await api.gqlOk<{
      migrationProfiles: {
        totalCount: number;
        edges: { node: { name: string; hosts: { name: string }[] } }[];
      };
    }>(`{ migrationProfiles { totalCount edges { node { name hosts { name } } } } }`);
    expect(list.migrationProfiles.totalCount).toBe(1);
    expect(list.migrationProfiles.edges[0]!.node.hosts).toHaveLength(3);

    const a = fleet.hostNames[0]!;
    const unassigned = await api.gqlOk<{ assignMigrationProfile: { hosts: DriftHost[] } }>(ASSIGN, {
      input: { profile: null, hosts: [ids[a]] },
    });
    expect(unassigned.assignMigrationProfile.hosts[0]).toMatchObject({ name: a, profile: null, drift: [] });

    await api.gqlOk(UPDATE, { input: { id: profileId, performanceOption: "TCPIP" } });
    const del = await api.gqlOk<{ deleteMigrationProfile: { deletedId: string; errors: unknown } }>(
      `mutation($id: ID!) { deleteMigrationProfile(id: $id) { deletedId ${ERRORS_FIELDS} } }`,
      { id: profileId },
    );
    expect(del.deleteMigrationProfile).toEqual({ deletedId: profileId, errors: null });
    const after = await driftByHost();
    for (const name of fleet.hostNames) {
      expect(after[name]!.profile).toBeNull();
      expect(after[name]!.drift).toEqual([]);
      expect(after[name]!.migrationSettings).toMatchObject({ performanceOption: "COMPRESSION" });
    }
  });
});

describe("drift recomputed twice at once", () => {
  it("records the change once: one HOST_DRIFT_CHANGED event, not one per recompute", async () => {
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    const { recomputeDrift } = await import("@ferry/api/testing");
    const app = api.server.app;
    const created = await api.gqlOk<{ createMigrationProfile: { profile: { id: string } } }>(CREATE, {
      input: { name: "raced", maximumVirtualMachineMigrations: 7 },
    });
    const profile = created.createMigrationProfile.profile.id;
    const hostGlobalId = ids["HV-A03"]!;
    await api.gqlOk(ASSIGN, { input: { hosts: [hostGlobalId], profile } });
    const hostId = decodeGlobalID(hostGlobalId).id;
    // The stored drift made stale (as if the change had not been recorded yet): both recomputes see it.
    await app.db.prisma.host.update({ where: { id: hostId }, data: { drift: [] } });
    const events = () =>
      app.db.prisma.webhookOutboxEvent.count({
        where: { type: "HOST_DRIFT_CHANGED", subjectId: hostGlobalId },
      });
    const before = await events();
    await Promise.all([recomputeDrift(app, { id: hostId }), recomputeDrift(app, { id: hostId })]);
    expect(await events()).toBe(before + 1);
    const stored = await app.db.prisma.host.findUniqueOrThrow({
      where: { id: hostId },
      select: { drift: true },
    });
    expect(stored.drift).toEqual([
      expect.objectContaining({ field: "maximumVirtualMachineMigrations", desired: "7" }),
    ]);
    await api.gqlOk(ASSIGN, { input: { hosts: [hostGlobalId], profile: null } });
  });
});
