// Issue 12 leftovers: a RUNNING move that its connected agent does not follow is reconciled (not
// RUNNING forever), and a "running" job report for a provisionally ended move reopens the record
// with a timeline note (instead of being ignored).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { fleetIds, MOVE_GQL, pairWorld } from "../migrations/world.ts";

let api: TestApi;
let fleet: TestFleet;

beforeAll(async () => {
  api = await startTestApi({ FERRY_JOB_QUIET_AFTER_SECONDS: "3" });
  fleet = await startTestFleet(api, { definition: pairWorld(4, 2, 1) });
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const db = () => api.server.app.db.prisma;
const hostId = async (name: string) => (await db().host.findUniqueOrThrow({ where: { name } })).id;
const vmGuid = (n: number) => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** A migration row as Ferry would have it, for a VM of HV1 (the agents know nothing about it). */
async function migrationOf(n: number, sourceHostId: string, data: Record<string, unknown>) {
  const vm = await db().virtualMachine.findUnique({ where: { vmId: vmGuid(n) } });
  return db().migration.create({
    data: {
      kind: "LIVE",
      vmRowId: vm?.id ?? null,
      vmGuid: vmGuid(n),
      vmName: `vm-${n}`,
      sourceHostId,
      destinationHostId: await hostId("HV2"),
      requestedBy: "test",
      startedAt: new Date(Date.now() - 60_000),
      state: "RUNNING",
      ...data,
    },
  });
}

const timeline = async (id: string) =>
  (await db().migrationSample.findMany({ where: { migrationId: id }, orderBy: { id: "asc" } })).map(
    (s) => `${s.state}: ${s.message ?? ""}`,
  );

describe("a RUNNING move whose connected agent follows no job", () => {
  it("is asked about (JOB_STATUS) and ends FAILED JOB_LOST, provisional, with a timeline note", async () => {
    const m = await migrationOf(1, await hostId("HV1"), {});
    const ended = await eventually(
      async () => {
        const row = await db().migration.findUniqueOrThrow({ where: { id: m.id } });
        return row.state !== "RUNNING" ? row : null;
      },
      60_000,
      "the quiet move to be reconciled",
    );
    expect(ended).toMatchObject({ state: "FAILED", failureCode: "JOB_LOST", provisional: true });
    expect(await timeline(m.id)).toContainEqual(
      expect.stringMatching(/^FAILED: reconciled: .*follows no job/),
    );
    const asked = await db().agentCommand.findFirstOrThrow({
      where: { migrationId: m.id, type: "JOB_STATUS" },
    });
    expect(asked).toMatchObject({ status: "SUCCEEDED", result: { following: false, jobId: null } });
    // The VM never left HV1.
    const vm = await db().virtualMachine.findUniqueOrThrow({
      where: { vmId: vmGuid(1) },
      include: { host: true },
    });
    expect(vm.host.name).toBe("HV1");
  });

  it("a move the agent really runs is left alone while it reports", async () => {
    const ids = await fleetIds(api.gqlOk);
    await api.gqlOk(MOVE_GQL, { input: { vm: ids.vms["vm-2"], destinationHost: ids.hosts.HV2 } });
    const { id } = await db().migration.findFirstOrThrow({ where: { vmGuid: vmGuid(2) } });
    const done = await eventually(
      async () => {
        const row = await db().migration.findUniqueOrThrow({ where: { id } });
        return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(row.state) ? row : null;
      },
      120_000,
      "the real move to end",
    );
    expect(done.state).toBe("SUCCEEDED");
  });
});

describe("a running job report for a provisionally ended move", () => {
  let agent: { credential: string; hostId: string };
  const report = (migrationId: string, percentComplete: number) =>
    api.gqlOk<{ agentJobUpdate: { errors: unknown } }>(
      `mutation($input: AgentJobUpdateInput!) { agentJobUpdate(input: $input) { errors { message } } }`,
      { input: { migrationId, jobId: "job-77", state: "RUNNING", percentComplete } },
      agent.credential,
    );

  beforeAll(async () => {
    const enrollment = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
      `mutation { createAgentEnrollment(input: {hostName: "HV-R"}) { token } }`,
    );
    const enrolled = await api.gqlOk<{ enrollAgent: { credential: string } }>(
      `mutation { enrollAgent(input: {hostName: "HV-R"}) { credential errors { message } } }`,
      {},
      enrollment.createAgentEnrollment.token,
    );
    agent = { credential: enrolled.enrollAgent.credential, hostId: await hostId("HV-R") };
  });

  it("FAILED AGENT_LOST becomes RUNNING again, and the timeline says what Ferry had recorded", async () => {
    const m = await migrationOf(11, agent.hostId, {
      state: "FAILED",
      provisional: true,
      failureCode: "AGENT_LOST",
      failureMessage: "away",
      finishedAt: new Date(),
    });
    await report(m.id, 40);
    const row = await db().migration.findUniqueOrThrow({ where: { id: m.id } });
    expect(row).toMatchObject({
      state: "RUNNING",
      provisional: false,
      failureCode: null,
      finishedAt: null,
      percentComplete: 40,
      jobId: "job-77",
    });
    expect(await timeline(m.id)).toContainEqual(
      expect.stringMatching(
        /^RUNNING: reopened: .*still running \(40 %\); Ferry had recorded FAILED \(AGENT_LOST\)/,
      ),
    );
  });

  it("CANCELLED before the claim becomes CANCELLING with a CANCEL_MOVE: the cancel is carried out", async () => {
    const m = await migrationOf(12, agent.hostId, {
      state: "CANCELLED",
      provisional: true,
      finishedAt: new Date(),
    });
    await report(m.id, 10);
    expect((await db().migration.findUniqueOrThrow({ where: { id: m.id } })).state).toBe("CANCELLING");
    expect(await db().agentCommand.count({ where: { migrationId: m.id, type: "CANCEL_MOVE" } })).toBe(1);
  });

  it("is not reopened while the VM has another active migration: one timeline note, however many reports", async () => {
    const old = await migrationOf(13, agent.hostId, {
      state: "FAILED",
      provisional: true,
      failureCode: "AGENT_LOST",
      finishedAt: new Date(),
    });
    const active = await migrationOf(13, agent.hostId, { state: "QUEUED", startedAt: null });
    await report(old.id, 50);
    await report(old.id, 55);
    expect((await db().migration.findUniqueOrThrow({ where: { id: old.id } })).state).toBe("FAILED");
    const notes = (await timeline(old.id)).filter((t) => t.includes(`not reopened: migration ${active.id}`));
    expect(notes).toHaveLength(1);
  });
});
