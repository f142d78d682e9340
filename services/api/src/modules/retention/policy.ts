// Which rows retention may delete: pure (cutoffs and Prisma filters), so the rules are testable without a
// database. A row is deleted only when it is older than its kind's window AND nothing still needs it:
// - commands: answered or expired ones (never PENDING/DELIVERED), never a command of an active migration;
// - progress samples: only of migrations that ended (terminal state) before the cutoff;
// - host events: never those linked to an active migration;
// - audit entries: only outside their (long) window.
import type { RetentionSettings } from "../../config.ts";
import type { Prisma } from "../../generated/prisma/client.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** States after which a migration never changes slot again (its commands and timeline are history). */
export const ENDED_MIGRATION_STATES = ["SUCCEEDED", "FAILED", "CANCELLED"] as const;
/** Command statuses an agent may still be sent or answer: never deleted. */
export const OPEN_COMMAND_STATUSES = ["PENDING", "DELIVERED"] as const;

export type RetentionKind = "commands" | "progress" | "events" | "audit";

export const RETENTION_KINDS: readonly RetentionKind[] = ["commands", "progress", "events", "audit"];

/** The instant before which rows of each kind may go; null = kept forever (0 days). */
export function retentionCutoffs(settings: RetentionSettings, now: Date): Record<RetentionKind, Date | null> {
  const cutoff = (days: number) => (days > 0 ? new Date(now.getTime() - days * DAY_MS) : null);
  return {
    commands: cutoff(settings.commandDays),
    progress: cutoff(settings.progressDays),
    events: cutoff(settings.eventDays),
    audit: cutoff(settings.auditDays),
  };
}

/** Commands that may be deleted: created and answered before the cutoff, not open, not of an active migration. */
export function commandsToDelete(cutoff: Date): Prisma.AgentCommandWhereInput {
  return {
    createdAt: { lt: cutoff },
    status: { notIn: [...OPEN_COMMAND_STATUSES] },
    OR: [{ completedAt: null }, { completedAt: { lt: cutoff } }],
    AND: [
      {
        OR: [
          { migrationId: null },
          { migration: { is: { state: { in: [...ENDED_MIGRATION_STATES] }, finishedAt: { lt: cutoff } } } },
        ],
      },
    ],
  };
}

/** Progress samples that may be deleted: older than the cutoff, of a migration that ended before it. */
export function samplesToDelete(cutoff: Date): Prisma.MigrationSampleWhereInput {
  return {
    at: { lt: cutoff },
    migration: { is: { state: { in: [...ENDED_MIGRATION_STATES] }, finishedAt: { lt: cutoff } } },
  };
}

/** Host events that may be deleted: created before the cutoff, not linked to a migration that is still active. */
export function eventsToDelete(cutoff: Date): Prisma.HostEventWhereInput {
  return {
    timeCreated: { lt: cutoff },
    OR: [{ migrationId: null }, { migration: { is: { state: { in: [...ENDED_MIGRATION_STATES] } } } }],
  };
}

/** Audit entries that may be deleted: written before the cutoff. */
export function auditToDelete(cutoff: Date): Prisma.AuditEntryWhereInput {
  return { at: { lt: cutoff } };
}
