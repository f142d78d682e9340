// Progress and outcomes reported by the source agent: monotonic percent, coalesced samples,
// terminal states with diagnosis, then the scheduler refills the freed slots.
import type { App } from "../../context.ts";
import type { MigrationState } from "../../generated/prisma/client.ts";
import { issueCommand } from "../agents/commands.ts";
import { linkEventsToMigration } from "../events/service.ts";
import { NotFoundError } from "../shared/errors.ts";
import { isUuid } from "../shared/ids.ts";
import { diagnoseMigration } from "./diagnosis.ts";

export const ACTIVE_STATES: MigrationState[] = ["QUEUED", "RUNNING", "CANCELLING"];
export const TERMINAL_STATES: MigrationState[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

/** Asks this App's scheduler for a pass soon (a move was queued or a slot freed); see scheduler.ts. */
export function requestScheduling(app: App) {
  void app.hooks.emit("slotFreed");
}

export async function recordSample(
  app: App,
  migrationId: string,
  sample: { percentComplete: number; state: MigrationState; message?: string | null },
) {
  await app.db.prisma.migrationSample.create({
    data: {
      migrationId,
      percentComplete: sample.percentComplete,
      state: sample.state,
      message: sample.message ?? null,
    },
  });
}

export interface JobUpdate {
  migrationId: string;
  jobId: string | null;
  state: "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
  percentComplete: number;
  errorCode: string | null;
  errorMessage: string | null;
  eventId: number | null;
}

export interface Failure {
  code: string;
  message: string;
  eventId: number | null;
}

/** Ends a migration (if still active) with its outcome; returns false when it had already ended. */
export async function finishMigration(
  app: App,
  migrationId: string,
  state: "SUCCEEDED" | "FAILED" | "CANCELLED",
  failure: Failure | null,
  percent?: number,
) {
  const prisma = app.db.prisma;
  const d = failure ? await diagnoseMigration(app, migrationId, failure) : null;
  // The end state and, on success, the VM's new host commit together: nobody reads a SUCCEEDED
  // migration whose VM is still shown on its source.
  const count = await prisma.$transaction(async (tx) => {
    const ended = await tx.migration.updateMany({
      where: { id: migrationId, state: { in: ACTIVE_STATES } },
      data: {
        state,
        finishedAt: new Date(),
        ...(percent !== undefined ? { percentComplete: percent } : {}),
        ...(failure
          ? {
              failureCode: failure.code,
              failureMessage: failure.message,
              failureEventId: failure.eventId,
              failureDiagnosis: d!.diagnosis,
              failureRemedy: d!.remedy,
            }
          : {}),
      },
    });
    if (ended.count === 1 && state === "SUCCEEDED") {
      const m = await tx.migration.findUniqueOrThrow({
        where: { id: migrationId },
        select: { vmGuid: true, destinationHostId: true },
      });
      if (m.destinationHostId) {
        await tx.virtualMachine.updateMany({
          where: { vmId: m.vmGuid },
          data: { hostId: m.destinationHostId },
        });
      }
    }
    return ended.count;
  });
  if (count === 0) return false;
  const m = await prisma.migration.findUniqueOrThrow({ where: { id: migrationId } });
  await recordSample(app, migrationId, {
    percentComplete: m.percentComplete,
    state,
    message: failure ? `${failure.code}: ${failure.message}` : state.toLowerCase(),
  });
  if (state === "SUCCEEDED") await afterSuccess(app, m);
  await linkEventsToMigration(app, migrationId);
  app.pubsub.publish("migrationChanged", migrationId, { at: Date.now() });
  app.pubsub.publish("migrationsChanged", { migrationId });
  requestScheduling(app);
  return true;
}

/** The VM is on its new host now (set with the end state); ask both agents for fresh inventory (paths, memory). */
async function afterSuccess(
  app: App,
  m: {
    id: string;
    vmGuid: string;
    sourceHostId: string;
    destinationHostId: string | null;
    requestedBy: string;
  },
) {
  for (const hostId of new Set([m.sourceHostId, m.destinationHostId].filter((h): h is string => !!h))) {
    await issueCommand(app, {
      hostId,
      type: "REFRESH_INVENTORY",
      payload: {},
      requestedBy: "ferry",
      migrationId: m.id,
    });
    app.pubsub.publish("hostChanged", { hostId });
  }
}

/**
 * A job report from the source agent. Idempotent: reports for ended migrations change nothing;
 * percent never goes down; a sample is stored only when percent or state changes (bounded).
 */
export async function recordJobUpdate(app: App, hostId: string, update: JobUpdate): Promise<void> {
  const prisma = app.db.prisma;
  const m = isUuid(update.migrationId)
    ? await prisma.migration.findFirst({ where: { id: update.migrationId, sourceHostId: hostId } })
    : null;
  if (!m) throw new NotFoundError("Migration", update.migrationId);
  if (TERMINAL_STATES.includes(m.state)) return;
  const percent = Math.max(m.percentComplete, Math.min(100, Math.max(0, Math.round(update.percentComplete))));
  if (update.state === "COMPLETED") {
    await finishMigration(app, m.id, "SUCCEEDED", null, 100);
    return;
  }
  if (update.state === "CANCELLED") {
    await finishMigration(app, m.id, "CANCELLED", null, percent);
    return;
  }
  if (update.state === "FAILED") {
    const failure = {
      code: update.errorCode ?? "UNKNOWN",
      message: update.errorMessage ?? "the move failed",
      eventId: update.eventId,
    };
    await finishMigration(app, m.id, "FAILED", failure, percent);
    return;
  }
  if (percent === m.percentComplete && (update.jobId ?? m.jobId) === m.jobId) return;
  const { count } = await prisma.migration.updateMany({
    where: { id: m.id, state: { in: ["RUNNING", "CANCELLING"] } },
    data: { percentComplete: percent, jobId: update.jobId ?? m.jobId },
  });
  if (count === 0) return;
  if (percent !== m.percentComplete)
    await recordSample(app, m.id, { percentComplete: percent, state: m.state });
  app.pubsub.publish("migrationChanged", m.id, { at: Date.now() });
  app.pubsub.publish("migrationsChanged", { migrationId: m.id });
}
