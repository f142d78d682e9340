// One API and simulated fleet for three rules of issue 13, through GraphQL:
// 1. A queued move is checked again by placement's rules when it starts (its destination may have
//    taken an anti-affinity peer, or lost room above its reserve, since it was queued): it FAILS with
//    the check's code and nothing is sent to Hyper-V.
// 2. A drain whose host's agent has been away longer than AGENT_LOST_FAIL_MS FAILS; what it had sent
//    to that agent and was not delivered expires. totalCount counts each VM once (a re-placed move too).
// 3. The unmovable policies SAVE and SHUT_DOWN end to end, through GraphQL with a simulated fleet: once a
// drain has moved what can move, the VMs that cannot are saved or shut down by their host's agent
// (SAVE_VM / STOP_VM), their memory is freed on the host, and each outcome is on Maintenance.unmovable.
// A guest that does not answer the shutdown keeps running (never turned off). Faults: the host's agent
// is away when the command is issued and comes back in time (the command runs then), or only after the
// command's deadline (it is expired and never runs late).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFleet, type WorldDefinition } from "@ferry/agent/simulator";
import { createAgent } from "@ferry/agent/testing";
import { AGENT_LOST_FAIL_MS, maintenanceOnce } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk, startTestApi, type TestApi } from "../helpers/api.ts";
import { GiB, testHost, testVm } from "../helpers/sim-world.ts";

const id = (n: number) => `f0f0f0f0-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** S1 (SHUT_DOWN), S2 and S3 (SAVE) each hold VMs that cannot move (clustered, or on a switch only they have); T takes the rest. */
function world(): WorldDefinition {
  const source = (name: string, octet: number) =>
    testHost(name, octet, {
      switches: [
        { name: "Production", switchType: "External" },
        { name: "Isolated", switchType: "Private" },
      ],
    });
  // Only S1 has the Isolated switch: s1-isolated has nowhere to go.
  const s1 = source("S1", 21);
  s1.vms = [
    testVm("s1-move", id(1)),
    testVm("s1-clustered", id(2), { isClustered: true, memoryAssignedBytes: 4n * GiB }),
    testVm("s1-isolated", id(3), { switchNames: ["Isolated"], memoryAssignedBytes: 3n * GiB }),
  ];
  const s2 = testHost("S2", 22);
  s2.vms = [testVm("s2-clustered", id(4), { isClustered: true, memoryAssignedBytes: 6n * GiB })];
  const s3 = testHost("S3", 23);
  s3.vms = [testVm("s3-clustered", id(5), { isClustered: true })];
  const s4 = testHost("S4", 25);
  s4.vms = [testVm("s4-clustered", id(6), { isClustered: true })];
  // P's VMs move with notBefore to Q, which holds q-1 (an anti-affinity peer later).
  const p = testHost("P", 26);
  p.vms = [testVm("p-1", id(8)), testVm("p-2", id(9), { memoryAssignedBytes: 8n * GiB })];
  const qHost = testHost("Q", 27);
  qHost.vms = [testVm("q-1", id(10))];
  const t = testHost("T", 24);
  return {
    seed: 3,
    timeScale: 50,
    hosts: [s1, s2, s3, s4, p, qHost, t],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 1000n * GiB }],
    delegations: { S1: [], S2: [], S3: [], S4: [], P: [], Q: [], T: [] },
  };
}

let api: TestApi;
let stateDir: string;
let fleet: Awaited<ReturnType<typeof startFleet>>;
const agents = new Map<string, Awaited<ReturnType<typeof createAgent>>>();
const hosts: Record<string, string> = {};
const vms: Record<string, string> = {};

const q = <T>(query: string, variables: Record<string, unknown> = {}) => gqlOk<T>(api.url, query, variables);

async function stopAgent(host: string) {
  await agents.get(host)!.stop();
  agents.delete(host);
  await eventually(
    async () => !(await api.server.app.db.prisma.host.findFirst({ where: { name: host } }))?.agentConnected,
    60_000,
    `${host}'s agent gone`,
  );
}

async function startAgent(host: string) {
  const agent = await createAgent({
    apiUrl: api.url,
    stateDir: path.join(stateDir, "agents", host),
    backend: fleet.world.backend(host),
    log: () => {},
  });
  await agent.start();
  agents.set(host, agent);
}

beforeAll(async () => {
  api = await startTestApi();
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-unmovable-"));
  fleet = await startFleet({
    apiUrl: api.url,
    adminToken: ADMIN_TOKEN,
    stateDir,
    world: "memory",
    definition: world(),
    hosts: 7,
    seed: 3,
    timeScale: 50,
    log: () => {},
  });
  const names = fleet.world.hostNames();
  for (const [i, a] of fleet.agents.entries()) agents.set(names[i]!, a);
  await eventually(
    async () =>
      (await api.server.app.db.prisma.host.count({
        where: { inventoryReportedAt: { not: null }, agentConnected: true },
      })) === names.length,
    120_000,
    "every host reported",
  );
  const r = await q<{ hosts: { edges: { node: { id: string; name: string } }[] } }>(
    "{ hosts(first: 10) { edges { node { id name } } } vms(first: 50) { edges { node { id name } } } }",
  );
  for (const { node } of r.hosts.edges) hosts[node.name] = node.id;
  for (const { node } of (r as unknown as { vms: typeof r.hosts }).vms.edges) vms[node.name] = node.id;
}, 300_000);

afterAll(async () => {
  await Promise.all([...agents.values()].map((a) => a.stop()));
  await api?.stop();
  if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
});

const START = `mutation($input: StartMaintenanceInput!) {
  startMaintenance(input: $input) { maintenance { id state unmovablePolicy } errors { __typename message } } }`;
const MAINTENANCE = `query($id: ID!) { node(id: $id) { ... on Maintenance { id state
  unmovable { vmName action actionStatus actionMessage actionErrorCode checks { name status } } } } }`;

interface Entry {
  vmName: string;
  action: string;
  actionStatus: string;
  actionMessage: string | null;
  actionErrorCode: string | null;
}
interface View {
  id: string;
  state: string;
  unmovable: Entry[];
}

const view = async (id: string) => (await q<{ node: View }>(MAINTENANCE, { id })).node;

async function start(host: string, unmovable: string): Promise<string> {
  const r = await q<{ startMaintenance: { maintenance: { id: string; unmovablePolicy: string } | null } }>(
    START,
    { input: { host: hosts[host], unmovable } },
  );
  expect(r.startMaintenance.maintenance?.unmovablePolicy).toBe(unmovable);
  return r.startMaintenance.maintenance!.id;
}

async function hostState(name: string) {
  type Vm = { name: string; state: string; memoryAssignedBytes: string };
  const r = await q<{
    hosts: {
      edges: {
        node: { name: string; memoryAvailableBytes: string; vms: { edges: { node: Vm }[] } };
      }[];
    };
  }>(
    "{ hosts(first: 10) { edges { node { name memoryAvailableBytes vms(first: 50) { edges { node { name state memoryAssignedBytes } } } } } } }",
  );
  const h = r.hosts.edges.map((e) => e.node).find((x) => x.name === name)!;
  return { ...h, vms: h.vms.edges.map((e) => e.node) };
}

const byName = (m: View) => Object.fromEntries(m.unmovable.map((e) => [e.vmName, e]));

const MOVE = `mutation($input: MoveVmInput!) { moveVm(input: $input) {
  migration { id state destinationHost { name } } errors { __typename message } } }`;
const MIGRATION = `query($id: ID!) { node(id: $id) { ... on Migration { state startedAt
  failure { code message diagnosis } destinationHost { name } } } }`;
interface MigrationView {
  state: string;
  startedAt: string | null;
  failure: { code: string; message: string; diagnosis: string | null } | null;
  destinationHost: { name: string };
}

async function scheduledMove(vm: string, destination: string | null, inSeconds: number) {
  const r = await q<{ moveVm: { migration: { id: string; destinationHost: { name: string } } | null } }>(
    MOVE,
    {
      input: {
        vm: vms[vm],
        ...(destination ? { destinationHost: hosts[destination] } : {}),
        notBefore: new Date(Date.now() + inSeconds * 1000).toISOString(),
      },
    },
  );
  expect(r.moveVm.migration).not.toBeNull();
  return r.moveVm.migration!;
}

/**
 * Makes a scheduled move due now. The tests schedule an hour ahead and change a rule first: a window
 * of a few seconds between moveVm and the change is one a loaded machine misses (the move started).
 */
async function dueNow(id: string): Promise<void> {
  const { count } = await api.server.app.db.prisma.migration.updateMany({
    where: { id: await rowIdOf(id), state: "QUEUED" },
    data: { notBefore: new Date() },
  });
  expect(count).toBe(1);
}

async function endedMove(id: string): Promise<MigrationView> {
  return eventually(
    async () => {
      const m = (await q<{ node: MigrationView }>(MIGRATION, { id })).node;
      return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(m.state) ? m : null;
    },
    90_000,
    "the scheduled move ended",
  );
}

describe("the scheduler re-runs placement's rules when a queued move starts", () => {
  it("a move queued before its VM and the destination's VM joined one anti-affinity group fails with ANTI_AFFINITY", async () => {
    const move = await scheduledMove("p-1", "Q", 3600);
    const grouped = await q<{ setAntiAffinityGroup: { errors: unknown[] | null } }>(
      `mutation($input: SetAntiAffinityGroupInput!) { setAntiAffinityGroup(input: $input) { errors { message } } }`,
      { input: { name: "p1-q1", vms: [vms["p-1"], vms["q-1"]] } },
    );
    expect(grouped.setAntiAffinityGroup.errors).toBeNull();
    await dueNow(move.id);
    const ended = await endedMove(move.id);
    expect(ended.state).toBe("FAILED");
    expect(ended.startedAt).toBeNull();
    expect(ended.failure?.code).toBe("ANTI_AFFINITY");
    expect(ended.failure?.diagnosis).toContain("anti-affinity");
    expect((await hostState("P")).vms.map((v) => v.name)).toContain("p-1");
  }, 150_000);

  it("an auto-placed move whose destination's reserve grew meanwhile fails with INSUFFICIENT_MEMORY", async () => {
    const move = await scheduledMove("p-2", null, 3600);
    const dest = move.destinationHost.name;
    const capacity = await q<{ node: { memoryCapacityBytes: string } }>(
      `query($id: ID!) { node(id: $id) { ... on Host { memoryCapacityBytes } } }`,
      { id: hosts[dest] },
    );
    // Below its capacity (a reserve must be), but more than it has free.
    const raised = await q<{ setHostMemoryReserve: { errors: unknown[] | null } }>(
      `mutation($input: SetHostMemoryReserveInput!) { setHostMemoryReserve(input: $input) { errors { message } } }`,
      { input: { hosts: [hosts[dest]], bytes: String(BigInt(capacity.node.memoryCapacityBytes) - 1n) } },
    );
    expect(raised.setHostMemoryReserve.errors).toBeNull();
    await dueNow(move.id);
    const ended = await endedMove(move.id);
    expect(ended.state).toBe("FAILED");
    expect(ended.startedAt).toBeNull();
    expect(ended.failure?.code).toBe("INSUFFICIENT_MEMORY");
    expect(ended.failure?.diagnosis).toContain("memory reserve");
    await q(
      `mutation($input: SetHostMemoryReserveInput!) { setHostMemoryReserve(input: $input) { errors { message } } }`,
      { input: { hosts: [hosts[dest]], bytes: String(2n * GiB) } },
    );
  }, 150_000);
});

describe("a maintenance FAILS when its host's agent is lost", () => {
  it("FAILED with why, its save or shutdown not delivered yet expired (never run), the host out of maintenance", async () => {
    await stopAgent("S4");
    const id = await start("S4", "SHUT_DOWN");
    const prisma = api.server.app.db.prisma;
    // The drain waits for the shutdown of what cannot move, which waits for the agent.
    await eventually(
      async () => (await view(id)).unmovable[0]?.actionStatus === "PENDING",
      60_000,
      "STOP_VM sent to S4",
    );
    expect((await view(id)).state).toBe("DRAINING");
    // Away for longer than AGENT_LOST_FAIL_MS (15 minutes).
    await prisma.host.updateMany({
      where: { name: "S4" },
      data: { agentLastSeenAt: new Date(Date.now() - AGENT_LOST_FAIL_MS - 60_000) },
    });
    const failed = await eventually(
      async () => {
        const m = await prisma.maintenance.findFirstOrThrow({ where: { host: { name: "S4" } } });
        return m.state === "FAILED" ? m : null;
      },
      60_000,
      "S4's maintenance FAILED",
    );
    expect(failed.failureMessage).toContain("The agent of S4 has been away");
    expect(failed.finishedAt).not.toBeNull();
    const command = await prisma.agentCommand.findFirstOrThrow({
      where: { type: "STOP_VM", host: { name: "S4" } },
    });
    expect(command.status).toBe("EXPIRED");
    // The host takes moves again (FAILED is not in maintenance); back, the agent runs nothing.
    const host = await q<{ node: { maintenance: { id: string } | null } }>(
      `query($id: ID!) { node(id: $id) { ... on Host { maintenance { id } } } }`,
      { id: hosts.S4 },
    );
    expect(host.node.maintenance).toBeNull();
    await startAgent("S4");
    await eventually(
      async () => (await prisma.host.findFirst({ where: { name: "S4" } }))?.agentConnected ?? false,
      60_000,
      "S4's agent back",
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(fleet.world.definition().hosts.find((h) => h.facts.name === "S4")!.vms[0]!.state).toBe("RUNNING");
  }, 200_000);
});

describe("unmovable policies SAVE and SHUT_DOWN", () => {
  it("SHUT_DOWN: the drain moves what can move, then shuts the rest down; a guest that does not answer keeps running", async () => {
    fleet.world.injectFault("s1-isolated", "SHUTDOWN_UNAVAILABLE");
    // s1-move's first move fails midway: re-placed once on another host, it is still one VM to move.
    fleet.world.injectFault("s1-move", "NETWORK_RESET");
    const before = await hostState("S1");
    const id = await start("S1", "SHUT_DOWN");
    const done = await eventually(
      async () => {
        const m = await view(id);
        return m.state === "IN_MAINTENANCE" ? m : null;
      },
      120_000,
      "S1 in maintenance",
    );
    const entries = byName(done);
    expect(Object.keys(entries).sort()).toEqual(["s1-clustered", "s1-isolated"]);
    const row = await api.server.app.db.prisma.maintenance.findFirstOrThrow({
      where: { host: { name: "S1" } },
    });
    const moves = await api.server.app.db.prisma.migration.findMany({ where: { maintenanceId: row.id } });
    expect(moves.map((m) => m.state).sort()).toEqual(["FAILED", "SUCCEEDED"]);
    expect(row.totalCount).toBe(1);
    // More passes (as on several replicas) recount, never add.
    await Promise.all([maintenanceOnce(api.server.app), maintenanceOnce(api.server.app)]);
    expect(
      (await api.server.app.db.prisma.maintenance.findUniqueOrThrow({ where: { id: row.id } })).totalCount,
    ).toBe(1);
    expect(entries["s1-clustered"]).toMatchObject({
      action: "SHUT_DOWN",
      actionStatus: "DONE",
      actionErrorCode: null,
    });
    expect(entries["s1-clustered"]!.actionMessage).toContain("OFF");
    expect(entries["s1-isolated"]).toMatchObject({
      action: "SHUT_DOWN",
      actionStatus: "FAILED",
      actionErrorCode: "SHUTDOWN_UNAVAILABLE",
    });
    expect(entries["s1-isolated"]!.actionMessage).toContain("keeps running");
    // On the host: the moved VM left, the clustered one is Off and its 4 GiB are free again, the
    // isolated one still runs (it was never turned off).
    const after = await eventually(
      async () => {
        const h = await hostState("S1");
        return h.vms.find((v) => v.name === "s1-clustered")?.state === "OFF" ? h : null;
      },
      30_000,
      "S1's inventory after the shutdown",
    );
    expect(after.vms.map((v) => v.name).sort()).toEqual(["s1-clustered", "s1-isolated"]);
    expect(after.vms.find((v) => v.name === "s1-isolated")).toMatchObject({ state: "RUNNING" });
    expect(after.vms.find((v) => v.name === "s1-clustered")).toMatchObject({ memoryAssignedBytes: "0" });
    // s1-move (2 GiB) left and s1-clustered (4 GiB) was shut down.
    expect(BigInt(after.memoryAvailableBytes) - BigInt(before.memoryAvailableBytes)).toBe(6n * GiB);
    // The agent's answers are audited (COMMAND entries naming who asked, through which maintenance).
    const audit = await api.server.app.db.prisma.auditEntry.findMany({
      where: { kind: "COMMAND", operation: "command:STOP_VM" },
    });
    expect(audit.map((a) => a.outcome).sort()).toEqual(["FAILED", "SUCCEEDED"]);
    expect(JSON.stringify(audit[0]!.input)).toContain(`maintenance ${await rowIdOf(id)}`);
  }, 200_000);

  it("SAVE with the host's agent away: the command waits for the agent and runs when it is back", async () => {
    await stopAgent("S2");
    const id = await start("S2", "SAVE");
    const pending = await eventually(
      async () => {
        const m = await view(id);
        return m.unmovable[0]?.actionStatus === "PENDING" ? m : null;
      },
      60_000,
      "SAVE_VM sent",
    );
    expect(pending.state).toBe("DRAINING");
    await startAgent("S2");
    const done = await eventually(
      async () => {
        const m = await view(id);
        return m.state === "IN_MAINTENANCE" ? m : null;
      },
      120_000,
      "S2 in maintenance",
    );
    expect(byName(done)["s2-clustered"]).toMatchObject({ action: "SAVE", actionStatus: "DONE" });
    const h = await eventually(
      async () => {
        const s = await hostState("S2");
        return s.vms[0]?.state === "SAVED" ? s : null;
      },
      30_000,
      "S2's VM saved in the inventory",
    );
    expect(h.vms[0]).toMatchObject({ name: "s2-clustered", memoryAssignedBytes: "0" });
  }, 200_000);

  it("SAVE with the host's agent away past the command's deadline: expired, never run late", async () => {
    await stopAgent("S3");
    const id = await start("S3", "SAVE");
    const commandId = await eventually(
      async () => {
        const row = await api.server.app.db.prisma.agentCommand.findFirst({
          where: { type: "SAVE_VM", host: { name: "S3" } },
        });
        return row?.id ?? null;
      },
      120_000,
      "SAVE_VM sent to S3",
    );
    // The agent stays away longer than the command's 10 minutes.
    await api.server.app.db.prisma.agentCommand.update({
      where: { id: commandId },
      data: { createdAt: new Date(Date.now() - 11 * 60_000) },
    });
    const done = await eventually(
      async () => {
        const m = await view(id);
        return m.state === "IN_MAINTENANCE" ? m : null;
      },
      120_000,
      "S3 in maintenance",
    ).catch(async (error) => {
      throw new Error(
        `${error.message}: ${JSON.stringify(await view(id))} ${JSON.stringify(await api.server.app.db.prisma.agentCommand.findUnique({ where: { id: commandId } }))}`,
      );
    });
    expect(byName(done)["s3-clustered"]).toMatchObject({
      actionStatus: "FAILED",
      actionErrorCode: "COMMAND_EXPIRED",
    });
    await startAgent("S3");
    await eventually(
      async () =>
        (await api.server.app.db.prisma.host.findFirst({ where: { name: "S3" } }))?.agentConnected ?? false,
      120_000,
      "S3's agent back",
    );
    // Back, the agent gets nothing to run: the VM keeps running.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(
      (await api.server.app.db.prisma.agentCommand.findUnique({ where: { id: commandId } }))?.status,
    ).toBe("EXPIRED");
    expect(fleet.world.definition().hosts.find((h) => h.facts.name === "S3")!.vms[0]!.state).toBe("RUNNING");
  }, 400_000);
});

async function rowIdOf(globalId: string): Promise<string> {
  return Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
}
