// One retention pass: for each kind of row, delete what policy.ts allows, in bounded batches (one short
// statement per batch, so a backlog of millions never becomes one long transaction or lock).
import type { RetentionSettings } from "../../config.ts";
import type { PrismaClient } from "../../db/database.ts";
import {
  auditToDelete,
  commandsToDelete,
  eventsToDelete,
  RETENTION_KINDS,
  type RetentionKind,
  retentionCutoffs,
  samplesToDelete,
} from "./policy.ts";

/** At most this many batches per kind and pass; the rest waits for the next pass. */
export const MAX_BATCHES_PER_PASS = 100;

export interface PruneOptions {
  /** Checked between batches: a stopping API ends the pass early. */
  stopped?: () => boolean;
}

type Deleter = (cutoff: Date, take: number) => Promise<number>;

function deleters(prisma: PrismaClient): Record<RetentionKind, Deleter> {
  // Select a batch of ids, then delete those ids under the same filter again (a row that changed in
  // between, e.g. a command answered late, is re-checked by the DELETE itself).
  return {
    commands: async (cutoff, take) => {
      const where = commandsToDelete(cutoff);
      const ids = (
        await prisma.agentCommand.findMany({ where, select: { id: true }, orderBy: { id: "asc" }, take })
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      return (await prisma.agentCommand.deleteMany({ where: { AND: [where, { id: { in: ids } }] } })).count;
    },
    progress: async (cutoff, take) => {
      const where = samplesToDelete(cutoff);
      const ids = (
        await prisma.migrationSample.findMany({ where, select: { id: true }, orderBy: { id: "asc" }, take })
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      return (await prisma.migrationSample.deleteMany({ where: { AND: [where, { id: { in: ids } }] } }))
        .count;
    },
    events: async (cutoff, take) => {
      const where = eventsToDelete(cutoff);
      const ids = (
        await prisma.hostEvent.findMany({ where, select: { id: true }, orderBy: { id: "asc" }, take })
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      return (await prisma.hostEvent.deleteMany({ where: { AND: [where, { id: { in: ids } }] } })).count;
    },
    audit: async (cutoff, take) => {
      const where = auditToDelete(cutoff);
      const ids = (
        await prisma.auditEntry.findMany({ where, select: { id: true }, orderBy: { id: "asc" }, take })
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      return (await prisma.auditEntry.deleteMany({ where: { AND: [where, { id: { in: ids } }] } })).count;
    },
  };
}

/** Runs one pass; returns how many rows of each kind were deleted. */
export async function pruneOnce(
  prisma: PrismaClient,
  settings: RetentionSettings,
  now: Date = new Date(),
  options: PruneOptions = {},
): Promise<Record<RetentionKind, number>> {
  const cutoffs = retentionCutoffs(settings, now);
  const remove = deleters(prisma);
  const deleted: Record<RetentionKind, number> = { commands: 0, progress: 0, events: 0, audit: 0 };
  for (const kind of RETENTION_KINDS) {
    const cutoff = cutoffs[kind];
    if (!cutoff) continue;
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      if (options.stopped?.()) return deleted;
      const count = await remove[kind](cutoff, settings.batchSize);
      deleted[kind] += count;
      if (count < settings.batchSize) break;
    }
  }
  return deleted;
}
