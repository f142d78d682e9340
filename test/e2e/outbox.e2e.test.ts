// Issue 12, command side: commands are a fenced, expiring outbox delivered from the database.
// - A lost pub/sub hint delays a command by seconds (the stream re-reads on a timer), never forever:
//   before, a move whose START_MOVE hint was lost stayed at 0 % with its agent connected.
// - A command of an ended migration is never sent; one nobody received before its deadline expires.
// - One live session per agent credential: a second subscription replaces the first (which ends with
//   SESSION_REPLACED and receives nothing more); before, both received the host's commands.
// - Host binding: a report listing another host's VM is a conflict, not applied (it used to re-home it).
// - hostChanged is announced only when more than telemetry changed (it used to fire on every report).
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "../migrations/world.ts";
import { enrolledAgent } from "../security/principals.ts";

let api: TestApi;
let fleet: TestFleet;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { definition: pairWorld(2, 2, 40) });
}, 180_000);

afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const prisma = () => api.server.app.db.prisma;
const hostId = async (name: string) => (await prisma().host.findUniqueOrThrow({ where: { name } })).id;

/** A harmless host operation (ADD_MIGRATION_NETWORK) issued by a client through GraphQL; its command's row id. */
async function issueThroughApi(host: string): Promise<{ id: string }> {
  const r = await api.gqlOk<{ addMigrationNetwork: { operations: { id: string }[] } }>(
    `mutation($h: ID!) { addMigrationNetwork(input: {hosts: [$h], subnet: "10.99.0.0/24"}) { operations { id } errors { message } } }`,
    { h: encodeGlobalID("Host", host) },
  );
  return { id: decodeGlobalID(r.addMigrationNetwork.operations[0]!.id).id };
}

async function move(vm: string) {
  const ids = await fleetIds((q) => api.gqlOk(q));
  const r = await api.gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(MOVE_GQL, {
    input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2 },
  });
  expect(r.moveVm.errors).toBeNull();
  return r.moveVm.migration!.id;
}

const migration = async (id: string) =>
  (
    await api.gqlOk<{ node: { state: string; percentComplete: number; vm: { host: { name: string } } } }>(
      MIGRATION_GQL,
      { id },
    )
  ).node;

describe("command outbox", () => {
  it("a lost agentCommand hint delays a move by seconds, never forever", { timeout: 120_000 }, async () => {
    const pubsub = api.server.app.pubsub;
    const publish = pubsub.publish.bind(pubsub);
    let dropped = 0;
    // Every command hint is lost (a Redis outage, a dropped message): only the database knows.
    pubsub.publish = ((topic: string, ...rest: unknown[]) => {
      if (topic === "agentCommand") {
        dropped++;
        return;
      }
      return (publish as (topic: string, ...rest: unknown[]) => void)(topic, ...rest);
    }) as typeof pubsub.publish;
    try {
      const id = await move("vm-1");
      const done = await eventually(
        async () => {
          const m = await migration(id);
          return m.state === "SUCCEEDED" ? m : null;
        },
        90_000,
        "the move succeeds without any command hint",
      );
      expect(done.vm.host.name).toBe("HV2");
      expect(dropped).toBeGreaterThan(0);
    } finally {
      pubsub.publish = publish;
    }
  });

  it("never sends a command of an ended migration; expires one nobody received in time", {
    timeout: 60_000,
  }, async () => {
    const ended = await prisma().migration.findFirstOrThrow({ where: { state: "SUCCEEDED" } });
    const hv1 = await hostId("HV1");
    // A START_MOVE left pending for a migration that has ended (the stale command of issue 12 item 2).
    const stale = await prisma().agentCommand.create({
      data: {
        hostId: hv1,
        type: "START_MOVE",
        payload: {
          migrationId: ended.id,
          kind: "LIVE",
          vmId: ended.vmGuid,
          destinationHost: "HV2",
          includeStorage: false,
          destinationStoragePath: null,
          vhds: [],
        },
        requestedBy: "test",
        migrationId: ended.id,
      },
    });
    // A configuration command issued an hour ago that no agent received (written without a hint).
    const late = await prisma().agentCommand.create({
      data: {
        hostId: hv1,
        type: "DISABLE_MIGRATION",
        payload: {},
        requestedBy: "test",
        createdAt: new Date(Date.now() - 3_600_000),
      },
    });
    // Issued the way a client issues commands: through GraphQL.
    const fresh = await issueThroughApi(hv1);
    // The agent answers the fresh one: everything before it in the stream has been considered.
    await eventually(
      async () =>
        (await prisma().agentCommand.findUniqueOrThrow({ where: { id: fresh.id } })).status === "SUCCEEDED",
      30_000,
      "the fresh command is answered",
    );
    expect(await prisma().agentCommand.findUniqueOrThrow({ where: { id: late.id } })).toMatchObject({
      status: "EXPIRED",
      errorCode: "COMMAND_EXPIRED",
      deliveredAt: null,
    });
    expect((await prisma().agentCommand.findUniqueOrThrow({ where: { id: stale.id } })).status).toBe(
      "PENDING",
    );
    const settings = await prisma().migrationSettings.findUniqueOrThrow({ where: { hostId: hv1 } });
    expect(settings.enabled).toBe(true);
    // The world (Hyper-V) ran exactly the one job of the ended migration.
    expect((await fleet.world.backend("HV1").listJobs()).filter((j) => j.vmId === ended.vmGuid)).toHaveLength(
      1,
    );
  });

  it("a second session with the same credential replaces the first, which receives nothing more", {
    timeout: 60_000,
  }, async () => {
    const agent = await enrolledAgent(api, "HV-SESSION");
    const first = wsClient(api.url, agent.credential);
    const one = collect<{ agentCommands: { id: string } }>(first, "subscription { agentCommands { id } }");
    await eventually(
      async () => (await prisma().host.findUniqueOrThrow({ where: { name: "HV-SESSION" } })).agentConnected,
      20_000,
      "first session connected",
    );
    const second = wsClient(api.url, agent.credential);
    const two = collect<{ agentCommands: { id: string } }>(second, "subscription { agentCommands { id } }");
    await eventually(async () => one.errors.length > 0 || one.completed, 20_000, "first session ended");
    expect(JSON.stringify(one.errors)).toContain("SESSION_REPLACED");
    const command = await issueThroughApi(await hostId("HV-SESSION"));
    await two.next((e) => e.agentCommands.id === command.id);
    expect(one.events.map((e) => e.agentCommands.id)).not.toContain(command.id);
    // The replaced socket closing does not mark the live agent disconnected.
    await first.dispose();
    await new Promise((r) => setTimeout(r, 500));
    expect((await prisma().host.findUniqueOrThrow({ where: { name: "HV-SESSION" } })).agentConnected).toBe(
      true,
    );
    two.stop();
    await second.dispose();
  });
});

describe("inventory reports", () => {
  const REPORT = `mutation($input: AgentReportInventoryInput!) { agentReportInventory(input: $input) {
    changed conflictingVmIds errors { __typename message } } }`;

  async function report(credential: string, hostName: string, vms: unknown[], cpu = 5) {
    const inventory = {
      host: {
        name: hostName,
        fqdn: null,
        domain: null,
        cpuVendor: "INTEL",
        cpuModel: "Xeon",
        logicalProcessorCount: 8,
        memoryCapacityBytes: "68719476736",
        memoryAvailableBytes: String(34359738368 - cpu * 1024),
        supportedVmVersions: ["10.0"],
        virtualMachinePath: "C:\\VMs",
        virtualHardDiskPath: "C:\\VHDs",
        delegations: null,
      },
      settings: {
        enabled: true,
        authenticationType: "CREDSSP",
        performanceOption: "COMPRESSION",
        maximumVirtualMachineMigrations: 2,
        maximumStorageMigrations: 2,
        useAnyNetworkForMigration: true,
        networks: [],
      },
      switches: [],
      networkAdapters: [],
      firewallRules: [],
      vms: (vms as Record<string, unknown>[]).map((v) => ({ ...v, cpuUsage: cpu, uptimeSeconds: cpu * 10 })),
    };
    return (
      await api.gqlOk<{ agentReportInventory: { changed: boolean; conflictingVmIds: string[] | null } }>(
        REPORT,
        { input: { inventory, agentVersion: "1", backend: "simulator" } },
        credential,
      )
    ).agentReportInventory;
  }

  it("a VM another host holds is a conflict, not re-homed", { timeout: 60_000 }, async () => {
    const other = await prisma().virtualMachine.findFirstOrThrow({
      where: { host: { name: "HV1" } },
      include: { hardDrives: true },
    });
    const intruder = await enrolledAgent(api, "HV-INTRUDER");
    const vm = {
      vmId: other.vmId,
      name: "stolen",
      state: "RUNNING",
      status: null,
      memoryAssignedBytes: "1073741824",
      memoryStartupBytes: "1073741824",
      generation: 2,
      configurationVersion: "10.0",
      processorCompatibilityForMigration: false,
      path: "C:\\VMs\\stolen",
      hardDrives: [],
      switchNames: [],
    };
    const result = await report(intruder.credential, "HV-INTRUDER", [vm]);
    expect(result.conflictingVmIds).toEqual([other.vmId]);
    const after = await prisma().virtualMachine.findUniqueOrThrow({
      where: { vmId: other.vmId },
      include: { hardDrives: true },
    });
    expect(after.hostId).toBe(other.hostId);
    expect(after.name).toBe(other.name);
    expect(after.hardDrives).toEqual(other.hardDrives);
  });

  it("hostChanged fires when the host changed, not when only telemetry did", {
    timeout: 60_000,
  }, async () => {
    const agent = await enrolledAgent(api, "HV-QUIET");
    const id = await hostId("HV-QUIET");
    const client = wsClient(api.url, ADMIN_TOKEN);
    const changes = collect<{ hostChanged: { id: string } }>(
      client,
      "subscription($h: ID) { hostChanged(host: $h) { id } }",
      { h: encodeGlobalID("Host", id) },
    );
    const vm = {
      vmId: "abababab-0000-4000-8000-000000000001",
      name: "quiet",
      state: "RUNNING",
      status: null,
      memoryAssignedBytes: "1073741824",
      memoryStartupBytes: "1073741824",
      generation: 2,
      configurationVersion: "10.0",
      processorCompatibilityForMigration: false,
      path: "C:\\VMs\\quiet",
      hardDrives: [],
      switchNames: [],
    };
    await new Promise((r) => setTimeout(r, 500));
    const mine = () => changes.events.length;
    expect((await report(agent.credential, "HV-QUIET", [vm], 1)).changed).toBe(true);
    await eventually(async () => mine() >= 1, 10_000, "hostChanged for the first report");
    const before = mine();
    for (const cpu of [2, 3, 4])
      expect((await report(agent.credential, "HV-QUIET", [vm], cpu)).changed).toBe(true);
    await new Promise((r) => setTimeout(r, 1000));
    expect(mine()).toBe(before);
    await report(agent.credential, "HV-QUIET", [{ ...vm, state: "OFF" }], 5);
    await eventually(async () => mine() > before, 10_000, "hostChanged when a VM's state changed");
    changes.stop();
    await client.dispose();
  });
});
