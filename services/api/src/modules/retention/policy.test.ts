// Retention's rules without a database: the cutoff of each kind, "0 = forever", and that every filter
// carries the guards that protect rows still needed (open commands, active migrations).
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../config.ts";
import {
  auditToDelete,
  commandsToDelete,
  ENDED_MIGRATION_STATES,
  eventsToDelete,
  retentionCutoffs,
  samplesToDelete,
} from "./policy.ts";

const NOW = new Date("2026-12-02T00:00:00.000Z");
const daysBefore = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

describe("retention settings", () => {
  it("has sane defaults: commands 30 days, progress and events 90, audit 400, hourly passes", () => {
    const { retention } = loadConfig({});
    expect(retention).toEqual({
      commandDays: 30,
      progressDays: 90,
      eventDays: 90,
      auditDays: 400,
      intervalMs: 3_600_000,
      batchSize: 1000,
    });
  });

  it("parses the variables once with the rest of the configuration and refuses bad values", () => {
    const { retention } = loadConfig({
      FERRY_RETENTION_COMMAND_DAYS: "7",
      FERRY_RETENTION_PROGRESS_DAYS: "0",
      FERRY_RETENTION_EVENT_DAYS: "14",
      FERRY_RETENTION_AUDIT_DAYS: "0",
      FERRY_RETENTION_INTERVAL_SECONDS: "60",
      FERRY_RETENTION_BATCH_SIZE: "50",
    });
    expect(retention).toEqual({
      commandDays: 7,
      progressDays: 0,
      eventDays: 14,
      auditDays: 0,
      intervalMs: 60_000,
      batchSize: 50,
    });
    expect(() => loadConfig({ FERRY_RETENTION_AUDIT_DAYS: "-1" })).toThrow(/FERRY_RETENTION_AUDIT_DAYS/);
    expect(() => loadConfig({ FERRY_RETENTION_COMMAND_DAYS: "soon" })).toThrow(
      /FERRY_RETENTION_COMMAND_DAYS/,
    );
    expect(() => loadConfig({ FERRY_RETENTION_BATCH_SIZE: "0" })).toThrow(/FERRY_RETENTION_BATCH_SIZE/);
  });
});

describe("retention cutoffs", () => {
  it("is now minus each kind's days; 0 days keeps that kind forever (no cutoff)", () => {
    const cutoffs = retentionCutoffs(
      { commandDays: 30, progressDays: 0, eventDays: 1, auditDays: 400, intervalMs: 1000, batchSize: 10 },
      NOW,
    );
    expect(cutoffs).toEqual({
      commands: daysBefore(30),
      progress: null,
      events: daysBefore(1),
      audit: daysBefore(400),
    });
  });
});

describe("which rows may go", () => {
  const cutoff = daysBefore(30);

  it("commands: only answered/expired ones older than the cutoff, never of a migration still active", () => {
    expect(commandsToDelete(cutoff)).toEqual({
      createdAt: { lt: cutoff },
      status: { notIn: ["PENDING", "DELIVERED"] },
      OR: [{ completedAt: null }, { completedAt: { lt: cutoff } }],
      AND: [
        {
          OR: [
            { migrationId: null },
            {
              migration: {
                is: { state: { in: ["SUCCEEDED", "FAILED", "CANCELLED"] }, finishedAt: { lt: cutoff } },
              },
            },
          ],
        },
      ],
    });
  });

  it("progress samples: only of migrations that ended before the cutoff", () => {
    expect(samplesToDelete(cutoff)).toEqual({
      at: { lt: cutoff },
      migration: { is: { state: { in: ["SUCCEEDED", "FAILED", "CANCELLED"] }, finishedAt: { lt: cutoff } } },
    });
  });

  it("host events: older than the cutoff, never those of an active migration", () => {
    expect(eventsToDelete(cutoff)).toEqual({
      timeCreated: { lt: cutoff },
      OR: [
        { migrationId: null },
        { migration: { is: { state: { in: ["SUCCEEDED", "FAILED", "CANCELLED"] } } } },
      ],
    });
  });

  it("audit entries: only those written before their (long) window", () => {
    expect(auditToDelete(daysBefore(400))).toEqual({ at: { lt: daysBefore(400) } });
  });

  it("counts no active state as ended (QUEUED, STARTING, RUNNING, CANCELLING keep their rows)", () => {
    for (const active of ["QUEUED", "STARTING", "RUNNING", "CANCELLING"]) {
      expect(ENDED_MIGRATION_STATES as readonly string[]).not.toContain(active);
    }
  });
});
