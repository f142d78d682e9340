// Whether a host's agent is connected, and through which replica. A session token guards against a
// late disconnect of an old socket marking a freshly reconnected agent offline.
import { randomUUID } from "node:crypto";
import type { App } from "../../context.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { enqueueWebhookEvent, subscribedTo } from "../webhooks/outbox.ts";
import { AGENT_VIEW_SELECT, type AgentRow, agentEvent } from "../webhooks/views.ts";

export async function markConnected(app: App, hostId: string): Promise<string> {
  const session = `${app.replicaId}/${randomUUID()}`;
  const now = new Date();
  // The AGENT_CONNECTED webhook event commits with the change (modules/webhooks/outbox.ts), in ONE
  // statement (atomic by itself) after a plain read of the host's view: an interactive transaction
  // held its pooled connection across event-loop turns (five statements), and 2,000 agents connecting
  // at once kept every connection "idle in transaction" while their reports waited for one.
  // Both statements run on Prisma's pool, not through its query pipeline (issue 16, decision c: Prisma
  // was most of what a connect cost the API).
  const { rows: hosts } = await app.db.pool.query<ConnectedView>(HOST_VIEW_SQL, [hostId]);
  const host = hosts[0];
  if (!host) throw new Error(`host ${hostId} no longer exists`);
  const event = agentEvent("AGENT_CONNECTED", { ...host, agentConnected: true, agentLastSeenAt: now });
  const at = now.toISOString();
  const connect = Prisma.sql`
    WITH up AS (
      UPDATE "Host" SET "agentConnected" = true, "agentReplica" = ${session},
        "agentLastSeenAt" = ${at}::timestamp(3), "updatedAt" = ${at}::timestamp(3)
      WHERE "id" = ${hostId}::uuid
      RETURNING "id"),
    ev AS (
      INSERT INTO "WebhookOutboxEvent" ("id", "type", "subjectId", "data")
      SELECT gen_random_uuid(), ${event.type}::"WebhookEventType", ${event.subjectId}, ${JSON.stringify(event.data)}::jsonb
      FROM up
      RETURNING "id", "seq"),
    deliveries AS (
      INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventId", "seq")
      SELECT gen_random_uuid(), w."id", ev."id", ev."seq" FROM ev, "Webhook" w
      WHERE ${subscribedTo(event.type)})
    SELECT count(*)::integer AS "updated" FROM up`;
  const { rows } = await app.db.pool.query<{ updated: number }>(connect.text, connect.values);
  if (!rows[0]?.updated) throw new Error(`host ${hostId} no longer exists`);
  app.logger.info({ hostId, session }, "agent connected");
  readinessMayHaveChanged(app, hostId);
  app.pubsub.publish("hostChanged", { hostId });
  return session;
}

/** The host's view for AGENT_CONNECTED (AGENT_VIEW_SELECT less what the connect sets). */
type ConnectedView = Omit<AgentRow, "agentConnected" | "agentLastSeenAt">;

/** timestamp(3) columns hold UTC: read as timestamptz, so that `pg` makes the right Date of them. */
const HOST_VIEW_SQL = `
  SELECT "id"::text AS "id", "name", "agentVersion", "agentBackend",
    "inventoryReportedAt" AT TIME ZONE 'UTC' AS "inventoryReportedAt"
  FROM "Host" WHERE "id" = $1::uuid`;

export async function markDisconnected(app: App, hostId: string, session: string): Promise<void> {
  const { count } = await app.inflight.track(
    app.db.prisma.$transaction(async (tx) => {
      const changed = await tx.host.updateMany({
        where: { id: hostId, agentReplica: session },
        data: { agentConnected: false, agentReplica: null, agentLastSeenAt: new Date() },
      });
      if (changed.count > 0) {
        const host = await tx.host.findUniqueOrThrow({ where: { id: hostId }, select: AGENT_VIEW_SELECT });
        await enqueueWebhookEvent(tx, agentEvent("AGENT_LOST", host));
      }
      return changed;
    }),
  );
  app.logger.info({ hostId, session, current: count > 0 }, "agent disconnected");
  if (count > 0) {
    readinessMayHaveChanged(app, hostId);
    app.pubsub.publish("hostChanged", { hostId });
  }
}

/** The agentConnected readiness check follows the connection (the webhooks module reacts, app.ts). */
function readinessMayHaveChanged(app: App, hostId: string) {
  void app.hooks.emit("agentPresenceChanged", app, hostId);
}

/** How often a connected agent's lastSeenAt is refreshed, and after how long without it the flag is stale. */
export const HEARTBEAT_MS = 20_000;
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

/**
 * Refreshes lastSeenAt while a session holds its agent (so a crashed replica's flags go stale). The
 * sessions this replica holds are refreshed together: one UPDATE per HEARTBEAT_MS for all of them
 * (2,000 agents would otherwise cost 100 statements a second). Each row is still only touched while
 * its session holds the agent (`agentReplica` = session).
 */
const beats = new WeakMap<App, { sessions: Set<string>; timer: NodeJS.Timeout }>();
const BEAT_CHUNK = 1000;

export function holdSession(app: App, session: string): () => void {
  let entry = beats.get(app);
  if (!entry) {
    const sessions = new Set<string>();
    const timer = setInterval(() => {
      const all = [...sessions];
      const at = new Date().toISOString();
      for (let i = 0; i < all.length; i += BEAT_CHUNK) {
        // One array parameter: Prisma's updateMany with an `IN` list of 1,000 sessions cost 20-25 ms of
        // the event loop per chunk (issue 16: tails with 2,000 agents connected). Same columns as it set.
        void app.db.prisma.$executeRaw`
          UPDATE "Host" SET "agentLastSeenAt" = ${at}::timestamp(3), "updatedAt" = ${at}::timestamp(3)
          WHERE "agentReplica" = ANY(${all.slice(i, i + BEAT_CHUNK)}::text[])`.catch((err) =>
          app.logger.warn({ err }, "agent heartbeat failed"),
        );
      }
    }, HEARTBEAT_MS);
    timer.unref();
    entry = { sessions, timer };
    beats.set(app, entry);
  }
  const held = entry;
  held.sessions.add(session);
  return () => {
    held.sessions.delete(session);
    if (held.sessions.size === 0 && beats.get(app) === held) {
      clearInterval(held.timer);
      beats.delete(app);
    }
  };
}

/** Connected now: the flag is set and fresh (a replica that died cannot clear its flags). */
export function isAgentLive(
  host: { agentConnected: boolean; agentLastSeenAt: Date | null },
  now = Date.now(),
): boolean {
  return (
    host.agentConnected && !!host.agentLastSeenAt && now - host.agentLastSeenAt.getTime() < STALE_AFTER_MS
  );
}
