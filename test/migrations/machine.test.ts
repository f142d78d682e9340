// The migration state machine against a real database (no agents: each test drives the machine the
// way the scheduler, the agent's reports, the client and the sweeper do). Issues 11 and 12.

import {
  type App,
  claimStart,
  completeCommand,
  enqueue,
  inTransaction,
  type Migration,
  recordJobUpdate,
  requestCancel,
  start,
  sweepLostAgents,
} from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { collect, wsClient } from "../helpers/ws.ts";

let api: TestApi;
let app: App;
let hosts: { source: string; dest: string };
let vmCount = 0;

beforeAll(async () => {
  api = await startTestApi();
  app = api.server.app;
  const prisma = app.db.prisma;
  const [source, dest] = await Promise.all(
    ["M1", "M2"].map((name) => prisma.host.create({ data: { name, delegations: [] } })),
  );
  hosts = { source: source!.id, dest: dest!.id };
}, 300_000);
afterAll(async () => {
  await api?.stop();
});

/** A VM on the source host and a QUEUED live move of it to the destination. */
async function queuedMove(): Promise<Migration> {
  const n = ++vmCount;
  const vmId = `dddddddd-0000-4000-8000-${String(n).padStart(12, "0")}`;
  const vm = await app.db.prisma.virtualMachine.create({
    data: {
      vmId,
      hostId: hosts.source,
      name: `m-vm-${n}`,
      state: "RUNNING",
      cpuUsage: 0,
      memoryAssignedBytes: 1n,
      memoryStartupBytes: 1n,
      uptimeSeconds: 1,
      generation: 2,
      configurationVersion: "10.0",
      processorCompatibilityForMigration: false,
      path: "\\\\fs01\\vms\\x",
      switchNames: [],
    },
  });
  return enqueue(app, {
    kind: "LIVE",
    vmRowId: vm.id,
    vmGuid: vmId,
    vmName: vm.name,
    sourceHostId: hosts.source,
    destinationHostId: hosts.dest,
    requestedBy: "test",
  });
}

async function startingMove(): Promise<Migration> {
  const m = await queuedMove();
  const started = await inTransaction(app, (tx, fx) => start(tx, fx, m, "M2"));
  expect(started?.state).toBe("STARTING");
  return started!;
}

const read = (id: string) =>
  app.db.prisma.migration.findUniqueOrThrow({
    where: { id },
    include: {
      samples: { orderBy: [{ at: "asc" }, { id: "asc" }] },
      commands: { orderBy: { createdAt: "asc" } },
    },
  });

/**
 * The app with a database client that records, right after each transaction commits (before the
 * operation does anything else), what a concurrent reader would see of migration `id`.
 */
function observingApp(id: () => string, seen: { state: string; timeline: string[] }[]): App {
  const prisma = app.db.prisma;
  const spy = new Proxy(prisma, {
    get(target, key) {
      if (key === "$transaction") {
        return async (...args: unknown[]) => {
          const result = await (target.$transaction as (...a: unknown[]) => Promise<unknown>)(...args);
          const m = await read(id());
          seen.push({ state: m.state, timeline: m.samples.map((s) => s.state) });
          return result;
        };
      }
      return Reflect.get(target, key);
    },
  });
  return { ...app, db: { ...app.db, prisma: spy } } as App;
}

describe("each transition commits with its timeline sample (issue 11: CANCELLED before its timeline)", () => {
  it("a reader never sees an end state that the timeline does not have yet", async () => {
    const queued = await queuedMove();
    const running = await startingMove();
    await claimStart(app, hosts.source, running.id);
    let current = queued.id;
    const seen: { state: string; timeline: string[] }[] = [];
    const spied = observingApp(() => current, seen);

    await requestCancel(spied, queued.id, "test");
    current = running.id;
    await recordJobUpdate(spied, hosts.source, {
      migrationId: running.id,
      jobId: "job-1",
      state: "COMPLETED",
      percentComplete: 100,
      errorCode: null,
      errorMessage: null,
      eventId: null,
    });
    expect(seen.map((s) => s.state)).toEqual(["CANCELLED", "SUCCEEDED"]);
    for (const s of seen) expect(s.timeline.at(-1)).toBe(s.state);
  });
});

describe("claim: the agent starts only a migration that is still starting", () => {
  it("STARTING -> RUNNING once; a redelivery is told to follow its job; a cancelled one is refused", async () => {
    const m = await startingMove();
    expect(await claimStart(app, hosts.source, m.id)).toEqual({ claimed: true, state: "RUNNING" });
    expect(await claimStart(app, hosts.source, m.id)).toEqual({ claimed: true, state: "RUNNING" });
    const timeline = (await read(m.id)).samples.map((s) => s.state);
    expect(timeline).toEqual(["QUEUED", "STARTING", "RUNNING"]);

    const cancelled = await startingMove();
    await requestCancel(app, cancelled.id, "test");
    expect(await claimStart(app, hosts.source, cancelled.id)).toEqual({ claimed: false, state: "CANCELLED" });
  });

  it("another host's agent cannot claim it", async () => {
    const m = await startingMove();
    await expect(claimStart(app, hosts.dest, m.id)).rejects.toMatchObject({ name: "NotFoundError" });
    expect((await read(m.id)).state).toBe("STARTING");
  });
});

describe("cancel (issue 12)", () => {
  it("a move whose START_MOVE the agent never started ends CANCELLED at once, its command withdrawn", async () => {
    const m = await startingMove();
    const cancelled = await requestCancel(app, m.id, "test");
    expect(cancelled.state).toBe("CANCELLED");
    const after = await read(m.id);
    expect(after.commands.map((c) => [c.type, c.status])).toEqual([["START_MOVE", "EXPIRED"]]);
    expect(after.samples.at(-1)).toMatchObject({ state: "CANCELLED" });
    // The agent's answer to the withdrawn command changes nothing.
    await completeCommand(app, hosts.source, {
      commandId: after.commands[0]!.id,
      succeeded: true,
      result: { jobId: "late" },
      errorCode: null,
      errorMessage: null,
    });
    expect((await read(m.id)).state).toBe("CANCELLED");
  });

  it("a running move goes CANCELLING with a CANCEL_MOVE; an agent without the job reconciles it", async () => {
    const m = await startingMove();
    await claimStart(app, hosts.source, m.id);
    expect((await requestCancel(app, m.id, "test")).state).toBe("CANCELLING");
    const cancel = (await read(m.id)).commands.find((c) => c.type === "CANCEL_MOVE")!;
    await completeCommand(app, hosts.source, {
      commandId: cancel.id,
      succeeded: true,
      result: { requested: false },
      errorCode: null,
      errorMessage: null,
    });
    const after = await read(m.id);
    expect(after.state).toBe("CANCELLED");
    expect(after.samples.at(-1)?.message).toMatch(/reconciled.*did not move/);
  });

  it("reconciles as it really ended: SUCCEEDED when the inventory shows the VM on the destination", async () => {
    const m = await startingMove();
    await claimStart(app, hosts.source, m.id);
    await requestCancel(app, m.id, "test");
    await app.db.prisma.virtualMachine.update({ where: { vmId: m.vmGuid }, data: { hostId: hosts.dest } });
    const cancel = (await read(m.id)).commands.find((c) => c.type === "CANCEL_MOVE")!;
    await completeCommand(app, hosts.source, {
      commandId: cancel.id,
      succeeded: true,
      result: { requested: false },
      errorCode: null,
      errorMessage: null,
    });
    expect((await read(m.id)).state).toBe("SUCCEEDED");
  });

  it("an ended migration cannot be cancelled", async () => {
    const m = await queuedMove();
    await requestCancel(app, m.id, "test");
    await expect(requestCancel(app, m.id, "test")).rejects.toMatchObject({ name: "ConflictError" });
  });
});

describe("agent lost, and what Hyper-V really did (issue 12)", () => {
  it("the sweeper's FAILED expires the pending START_MOVE; a later real outcome corrects the record", async () => {
    const m = await startingMove();
    const longAgo = new Date(Date.now() - (app.config.agentLostAfterSeconds + 120) * 1000);
    await app.db.prisma.host.update({
      where: { id: hosts.source },
      data: { agentConnected: false, agentLastSeenAt: longAgo },
    });
    try {
      await sweepLostAgents(app);
    } finally {
      await app.db.prisma.host.update({ where: { id: hosts.source }, data: { agentLastSeenAt: null } });
    }
    const lost = await read(m.id);
    expect(lost).toMatchObject({ state: "FAILED", failureCode: "AGENT_LOST", provisional: true });
    expect(lost.commands.map((c) => c.status)).toEqual(["EXPIRED"]);
    // A claim of the stale START_MOVE is refused: it never runs.
    expect(await claimStart(app, hosts.source, m.id)).toMatchObject({ claimed: false });

    await recordJobUpdate(app, hosts.source, {
      migrationId: m.id,
      jobId: "job-late",
      state: "COMPLETED",
      percentComplete: 100,
      errorCode: null,
      errorMessage: null,
      eventId: null,
    });
    const corrected = await read(m.id);
    expect(corrected).toMatchObject({
      state: "SUCCEEDED",
      failureCode: null,
      provisional: false,
      percentComplete: 100,
    });
    expect(corrected.samples.at(-1)?.message).toMatch(/corrected.*AGENT_LOST/);
    const vm = await app.db.prisma.virtualMachine.findUniqueOrThrow({ where: { vmId: m.vmGuid } });
    expect(vm.hostId).toBe(hosts.dest);
  });

  it("an outcome for an end Hyper-V itself reported is not rewritten", async () => {
    const m = await startingMove();
    await claimStart(app, hosts.source, m.id);
    const update = (state: "FAILED" | "COMPLETED") =>
      recordJobUpdate(app, hosts.source, {
        migrationId: m.id,
        jobId: "j",
        state,
        percentComplete: 10,
        errorCode: state === "FAILED" ? "SWITCH_NOT_FOUND" : null,
        errorMessage: state === "FAILED" ? "no switch" : null,
        eventId: null,
      });
    await update("FAILED");
    await update("COMPLETED");
    expect(await read(m.id)).toMatchObject({ state: "FAILED", failureCode: "SWITCH_NOT_FOUND" });
  });

  it("when a job ends, its pending commands expire in the same transaction", async () => {
    const m = await startingMove();
    await claimStart(app, hosts.source, m.id);
    await requestCancel(app, m.id, "test");
    await recordJobUpdate(app, hosts.source, {
      migrationId: m.id,
      jobId: "j",
      state: "COMPLETED",
      percentComplete: 100,
      errorCode: null,
      errorMessage: null,
      eventId: null,
    });
    const after = await read(m.id);
    expect(after.state).toBe("SUCCEEDED");
    const byType = Object.fromEntries(
      after.commands.filter((c) => c.type !== "REFRESH_INVENTORY").map((c) => [c.type, c.status]),
    );
    expect(byType).toEqual({ START_MOVE: "EXPIRED", CANCEL_MOVE: "EXPIRED" });
  });
});

describe("migrationProgress re-reads on a timer (issue 12: a lost hint costs seconds)", () => {
  it("a change whose notification was lost still reaches the subscriber and completes the stream", async () => {
    const m = await queuedMove();
    const client = wsClient(api.url, ADMIN_TOKEN);
    try {
      const feed = collect<{ migrationProgress: { state: string } }>(
        client,
        "subscription($id: ID!) { migrationProgress(id: $id) { state } }",
        { id: Buffer.from(`Migration:${m.id}`).toString("base64") },
      );
      await feed.next((e) => e.migrationProgress.state === "QUEUED");
      // The cancel commits, but every pubsub message of it is lost.
      const silent = { ...app, pubsub: { ...app.pubsub, publish: () => {} } } as unknown as App;
      await requestCancel(silent, m.id, "test");
      await feed.next((e) => e.migrationProgress.state === "CANCELLED", 30_000);
      await eventually(async () => feed.completed || null, 30_000, "the stream completed");
    } finally {
      await client.dispose();
    }
  });
});
