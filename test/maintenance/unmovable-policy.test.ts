// The unmovable policies SAVE and SHUT_DOWN end to end, through GraphQL with a simulated fleet: once a
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
  const t = testHost("T", 24);
  return {
    seed: 3,
    timeScale: 50,
    hosts: [s1, s2, s3, t],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 1000n * GiB }],
    delegations: { S1: [], S2: [], S3: [], T: [] },
  };
}

let api: TestApi;
let stateDir: string;
let fleet: Awaited<ReturnType<typeof startFleet>>;
const agents = new Map<string, Awaited<ReturnType<typeof createAgent>>>();
const hosts: Record<string, string> = {};

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
    hosts: 4,
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
    "{ hosts(first: 10) { edges { node { id name } } } }",
  );
  for (const { node } of r.hosts.edges) hosts[node.name] = node.id;
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

describe("unmovable policies SAVE and SHUT_DOWN", () => {
  it("SHUT_DOWN: the drain moves what can move, then shuts the rest down; a guest that does not answer keeps running", async () => {
    fleet.world.injectFault("s1-isolated", "SHUTDOWN_UNAVAILABLE");
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
      60_000,
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
      60_000,
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
      60_000,
      "S3's agent back",
    );
    // Back, the agent gets nothing to run: the VM keeps running.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(
      (await api.server.app.db.prisma.agentCommand.findUnique({ where: { id: commandId } }))?.status,
    ).toBe("EXPIRED");
    expect(fleet.world.definition().hosts.find((h) => h.facts.name === "S3")!.vms[0]!.state).toBe("RUNNING");
  }, 200_000);
});

async function rowIdOf(globalId: string): Promise<string> {
  return Buffer.from(globalId, "base64").toString("utf8").split(":")[1]!;
}
