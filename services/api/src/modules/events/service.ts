// The Hyper-V event stream (Get-WinEvent): agents tail Microsoft-Windows-Hyper-V-VMMS-Admin and
// report batches here. Storage is idempotent on (host, recordId), the host's bookmark only moves
// forward, and each event is linked to the migration it concerns when one can be found.
import { type EventLevel, type ReportedEvent, eventReportSchema as reportSchema } from "@ferry/protocol";
import type { App } from "../../context.ts";
import type { HostEvent, Prisma } from "../../generated/prisma/client.ts";
import { ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";

export { EVENT_LEVELS, type EventLevel, MAX_EVENTS_PER_REPORT, type ReportedEvent } from "@ferry/protocol";

/** An event belongs to a migration that was active around its time, with this much slack for clocks. */
const LINK_SLACK_MS = 60_000;
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

export function parseEvents(raw: unknown): ReportedEvent[] {
  const parsed = reportSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`input.events.${issue.path.join(".")}`, issue.message);
  }
  return parsed.data;
}

/**
 * The migration an event of `hostId` concerns: one of this host's migrations (as source or
 * destination) of the same VM (GUID in the message, else name) that was active at the event's time.
 */
async function linkMigration(app: App, hostId: string, event: ReportedEvent): Promise<string | null> {
  const guid = GUID.exec(event.message)?.[0]?.toLowerCase() ?? null;
  if (!guid && !event.vmName) return null;
  const at = event.timeCreated.getTime();
  const migration = await app.db.prisma.migration.findFirst({
    where: {
      OR: [{ sourceHostId: hostId }, { destinationHostId: hostId }],
      AND: [
        guid ? { vmGuid: { equals: guid, mode: "insensitive" } } : { vmName: event.vmName! },
        { requestedAt: { lte: new Date(at + LINK_SLACK_MS) } },
        { OR: [{ finishedAt: null }, { finishedAt: { gte: new Date(at - LINK_SLACK_MS) } }] },
      ],
    },
    orderBy: { requestedAt: "desc" },
    select: { id: true },
  });
  return migration?.id ?? null;
}

/**
 * Stores a batch of the agent's own host (duplicates are skipped, so a resent batch is harmless),
 * advances the bookmark, publishes each new event. Returns how many were new and the bookmark.
 */
export async function ingestEvents(app: App, hostId: string, raw: unknown) {
  const events = parseEvents(raw);
  const prisma = app.db.prisma;
  const rows: Prisma.HostEventCreateManyInput[] = [];
  for (const e of events) {
    rows.push({
      hostId,
      recordId: e.recordId,
      eventId: e.eventId,
      level: e.level,
      timeCreated: e.timeCreated,
      message: e.message,
      vmName: e.vmName ?? null,
      migrationId: await linkMigration(app, hostId, e),
    });
  }
  const created =
    rows.length > 0
      ? await prisma.hostEvent.createManyAndReturn({ data: rows, skipDuplicates: true, select: { id: true } })
      : [];
  const highest = events.reduce<bigint | null>(
    (max, e) => (max === null || e.recordId > max ? e.recordId : max),
    null,
  );
  if (highest !== null) {
    await prisma.host.updateMany({
      where: { id: hostId, OR: [{ eventBookmark: null }, { eventBookmark: { lt: highest } }] },
      data: { eventBookmark: highest },
    });
  }
  for (const row of created) app.pubsub.publish("hostEventStored", { hostId, eventRowId: row.id.toString() });
  const host = await prisma.host.findUniqueOrThrow({
    where: { id: hostId },
    select: { eventBookmark: true },
  });
  return { stored: created.length, bookmark: host.eventBookmark };
}

/**
 * Links events that arrived before their migration was known (or before it ended): unlinked events
 * of the migration's VM (GUID in the message, or name) on its hosts within its time window. The
 * migrations module may call this when a migration ends. Returns how many were linked.
 */
export async function linkEventsToMigration(app: App, migrationId: string): Promise<number> {
  const m = await app.db.prisma.migration.findUnique({ where: { id: migrationId } });
  if (!m) return 0;
  const hostIds = [m.sourceHostId, ...(m.destinationHostId ? [m.destinationHostId] : [])];
  const { count } = await app.db.prisma.hostEvent.updateMany({
    where: {
      hostId: { in: hostIds },
      migrationId: null,
      OR: [{ vmName: m.vmName }, { message: { contains: m.vmGuid, mode: "insensitive" } }],
      timeCreated: {
        gte: new Date(m.requestedAt.getTime() - LINK_SLACK_MS),
        lte: new Date((m.finishedAt ?? new Date()).getTime() + LINK_SLACK_MS),
      },
    },
    data: { migrationId },
  });
  return count;
}

/** Events linked to a migration, oldest first (for Migration.events, owned by the migrations module). */
export function eventsForMigration(app: App, migrationId: string): Promise<HostEvent[]> {
  return app.db.prisma.hostEvent.findMany({
    where: { migrationId },
    orderBy: [{ timeCreated: "asc" }, { id: "asc" }],
  });
}

export interface HostEventFilterInput {
  host?: string | number | null;
  eventId?: number | null;
  eventIds?: readonly number[] | null;
  level?: EventLevel | null;
  levels?: readonly EventLevel[] | null;
  since?: Date | null;
  until?: Date | null;
  migration?: string | number | null;
  vmName?: string | null;
}

export function hostEventWhere(filter: HostEventFilterInput | null | undefined): Prisma.HostEventWhereInput {
  if (!filter) return {};
  const eventIds = [...(filter.eventIds ?? []), ...(filter.eventId != null ? [filter.eventId] : [])];
  const levels = [...(filter.levels ?? []), ...(filter.level ? [filter.level] : [])];
  return {
    ...(filter.host ? { hostId: decodeId("Host", String(filter.host), "filter.host") } : {}),
    ...(eventIds.length > 0 ? { eventId: { in: eventIds } } : {}),
    ...(levels.length > 0 ? { level: { in: levels } } : {}),
    ...(filter.since || filter.until
      ? {
          timeCreated: {
            ...(filter.since ? { gte: filter.since } : {}),
            ...(filter.until ? { lt: filter.until } : {}),
          },
        }
      : {}),
    ...(filter.migration
      ? { migrationId: decodeId("Migration", String(filter.migration), "filter.migration") }
      : {}),
    ...(filter.vmName != null ? { vmName: filter.vmName } : {}),
  };
}
