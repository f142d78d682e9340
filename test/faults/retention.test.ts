// Issue 12 "Bounds": retention on a real database (PGlite, or PostgreSQL when DATABASE_URL is set).
// The API's own retention worker (started with the other workers, a pass every second, batches of 2 so
// every kind takes several batches) deletes old rows, and keeps recent rows and every row still needed:
// open commands, commands/timeline/events of active migrations, audit entries within their window.

import { pruneOnce } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({
    FERRY_RETENTION_COMMAND_DAYS: "30",
    FERRY_RETENTION_PROGRESS_DAYS: "90",
    FERRY_RETENTION_EVENT_DAYS: "90",
    FERRY_RETENTION_AUDIT_DAYS: "400",
    FERRY_RETENTION_INTERVAL_SECONDS: "1",
    FERRY_RETENTION_BATCH_SIZE: "2",
  });
}, 300_000);

afterAll(async () => {
  await api?.stop();
}, 120_000);

describe("retention worker", () => {
  it("deletes old rows in batches and keeps recent rows and rows still needed", async () => {
    const prisma = api.server.app.db.prisma;
    const host = await prisma.host.create({ data: { name: "HV-RET", delegations: [] } });
    const migration = (
      vm: string,
      state: "SUCCEEDED" | "FAILED" | "CANCELLED" | "RUNNING" | "CANCELLING",
      at: Date,
      finishedAt: Date | null,
    ) =>
      prisma.migration.create({
        data: {
          kind: "LIVE",
          state,
          vmGuid: `00000000-0000-0000-0000-${vm.padStart(12, "0")}`,
          vmName: `vm-${vm}`,
          sourceHostId: host.id,
          requestedBy: "test",
          requestedAt: at,
          startedAt: at,
          finishedAt,
        },
      });
    const oldEnded = await migration("1", "SUCCEEDED", ago(200), ago(200));
    const oldFailed = await migration("2", "FAILED", ago(120), ago(120));
    const recentEnded = await migration("3", "CANCELLED", ago(100), ago(10));
    // Active for a long time (e.g. a stuck move): nothing of it may go.
    const oldRunning = await migration("4", "RUNNING", ago(200), null);
    const oldCancelling = await migration("5", "CANCELLING", ago(200), null);

    const sample = (migrationId: string, at: Date) =>
      prisma.migrationSample.create({ data: { migrationId, at, percentComplete: 50, state: "RUNNING" } });
    const goneSamples = [
      await sample(oldEnded.id, ago(200)),
      await sample(oldEnded.id, ago(199)),
      await sample(oldEnded.id, ago(198)),
      await sample(oldFailed.id, ago(120)),
      await sample(oldFailed.id, ago(119)),
    ];
    const keptSamples = [
      await sample(recentEnded.id, ago(100)), // its migration ended 10 days ago: the timeline stays whole
      await sample(recentEnded.id, ago(10)),
      await sample(oldRunning.id, ago(200)),
      await sample(oldCancelling.id, ago(200)),
    ];

    const command = (
      status: "PENDING" | "DELIVERED" | "SUCCEEDED" | "FAILED",
      createdAt: Date,
      migrationId: string | null = null,
    ) =>
      prisma.agentCommand.create({
        data: {
          hostId: host.id,
          type: "REFRESH_INVENTORY",
          payload: {},
          status,
          requestedBy: "test",
          createdAt,
          completedAt: status === "SUCCEEDED" || status === "FAILED" ? createdAt : null,
          migrationId,
        },
      });
    const goneCommands = [
      await command("SUCCEEDED", ago(60)),
      await command("FAILED", ago(45)),
      await command("SUCCEEDED", ago(31)),
      await command("SUCCEEDED", ago(200), oldEnded.id),
      await command("FAILED", ago(120), oldFailed.id),
    ];
    const keptCommands = [
      await command("SUCCEEDED", ago(5)), // recent
      await command("PENDING", ago(90)), // still to be delivered
      await command("DELIVERED", ago(90)), // still to be answered
      await command("SUCCEEDED", ago(200), oldRunning.id), // its migration is active
      await command("SUCCEEDED", ago(200), oldCancelling.id),
      await command("SUCCEEDED", ago(100), recentEnded.id), // its migration ended 10 days ago
    ];

    let record = 1n;
    const event = (timeCreated: Date, migrationId: string | null = null) =>
      prisma.hostEvent.create({
        data: {
          hostId: host.id,
          recordId: record++,
          eventId: 20415,
          level: "Information",
          timeCreated,
          message: "test",
          migrationId,
        },
      });
    const goneEvents = [await event(ago(100)), await event(ago(91)), await event(ago(200), oldEnded.id)];
    const keptEvents = [await event(ago(5)), await event(ago(89)), await event(ago(200), oldRunning.id)];

    const audit = (at: Date) =>
      prisma.auditEntry.create({ data: { at, actor: "test", operation: "retentionTest", outcome: "OK" } });
    const goneAudit = [await audit(ago(500)), await audit(ago(401)), await audit(ago(450))];
    const keptAudit = [await audit(ago(399)), await audit(ago(300)), await audit(ago(1))];

    const ids = <T extends { id: unknown }>(rows: T[]) => rows.map((r) => r.id);
    const left = async () => ({
      samples: await prisma.migrationSample.count({ where: { id: { in: ids(goneSamples) as bigint[] } } }),
      commands: await prisma.agentCommand.count({ where: { id: { in: ids(goneCommands) as string[] } } }),
      events: await prisma.hostEvent.count({ where: { id: { in: ids(goneEvents) as bigint[] } } }),
      audit: await prisma.auditEntry.count({ where: { id: { in: ids(goneAudit) as bigint[] } } }),
    });
    // The worker (not this test) deletes them.
    await eventually(
      async () => Object.values(await left()).every((n) => n === 0),
      120_000,
      "the retention worker deleted every old row",
    );

    expect(await prisma.migrationSample.count({ where: { id: { in: ids(keptSamples) as bigint[] } } })).toBe(
      keptSamples.length,
    );
    expect(await prisma.agentCommand.count({ where: { id: { in: ids(keptCommands) as string[] } } })).toBe(
      keptCommands.length,
    );
    expect(await prisma.hostEvent.count({ where: { id: { in: ids(keptEvents) as bigint[] } } })).toBe(
      keptEvents.length,
    );
    expect(await prisma.auditEntry.count({ where: { id: { in: ids(keptAudit) as bigint[] } } })).toBe(
      keptAudit.length,
    );
    // Migrations themselves are history, not retention's business.
    expect(await prisma.migration.count({ where: { sourceHostId: host.id } })).toBe(5);
  }, 300_000);

  it("keeps every kind forever at 0 days, and a pass is bounded by its batch size", async () => {
    const prisma = api.server.app.db.prisma;
    // 300 days old: inside the worker's 400-day window, so only the passes of this test touch them.
    const rows = [];
    for (let i = 0; i < 3; i++) {
      rows.push(
        await prisma.auditEntry.create({
          data: { at: ago(300), actor: "test", operation: "bounded", outcome: "OK" },
        }),
      );
    }
    // (The first test's kept entries of 300 and 399 days are older than 200 days too.)
    const old = { at: { lt: ago(200) } };
    const forever = {
      commandDays: 0,
      progressDays: 0,
      eventDays: 0,
      auditDays: 0,
      intervalMs: 1000,
      batchSize: 1,
    };
    const before = await prisma.auditEntry.count({ where: old });
    expect(before).toBeGreaterThanOrEqual(rows.length);
    expect(await pruneOnce(prisma, forever)).toEqual({ commands: 0, progress: 0, events: 0, audit: 0 });
    expect(await prisma.auditEntry.count({ where: old })).toBe(before);
    // A pass told to stop after its first batch deletes exactly one batch (here: one row).
    let batches = 0;
    const first = await pruneOnce(prisma, { ...forever, auditDays: 200 }, new Date(), {
      stopped: () => batches++ > 0,
    });
    expect(first.audit).toBe(1);
    expect(await prisma.auditEntry.count({ where: old })).toBe(before - 1);
    // The next pass goes on in batches (of one) until nothing that old is left.
    const rest = await pruneOnce(prisma, { ...forever, auditDays: 200 });
    expect(rest.audit).toBe(before - 1);
    expect(await prisma.auditEntry.count({ where: old })).toBe(0);
  }, 300_000);
});
