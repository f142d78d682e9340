// The webhook outbox: an event is written in the transaction of the change it reports, with one
// PENDING delivery per active webhook that subscribed to its type. The delivery worker (worker.ts)
// sends them; a crash, a restart or a second replica cannot lose or duplicate the row itself.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { Prisma, type WebhookEventType } from "../../generated/prisma/client.ts";

export type { WebhookEventType };

export const WEBHOOK_EVENT_TYPES = [
  "MIGRATION_STATE_CHANGED",
  "MAINTENANCE_STATE_CHANGED",
  "HOST_READINESS_CHANGED",
  "HOST_DRIFT_CHANGED",
  "AGENT_CONNECTED",
  "AGENT_LOST",
] as const satisfies readonly WebhookEventType[];

export interface OutboxEvent {
  type: WebhookEventType;
  /** Global id of the object the event is about (e.g. the Migration's id as the API returns it). */
  subjectId: string;
  /** The payload's `data`: the object as the API returns it, JSON-ready (ISO dates, global ids). */
  data: Prisma.InputJsonValue;
}

/** `{ id: <global id> }`: how an event's data refers to a related object. */
export function nodeRef(typename: string, id: string | null | undefined): { id: string } | null {
  return id ? { id: encodeGlobalID(typename, id) } : null;
}

/**
 * Writes `event` and its deliveries inside `tx`, the transaction of the change it reports: both
 * commit or neither. Returns the event id (the payload's `id`). Call it only after the guarded
 * UPDATE of the change succeeded, so an event is never written for a change that did not happen.
 */
export async function enqueueWebhookEvent(tx: Prisma.TransactionClient, event: OutboxEvent): Promise<string> {
  const row = await tx.webhookOutboxEvent.create({
    data: { type: event.type, subjectId: event.subjectId, data: event.data },
    select: { id: true, seq: true },
  });
  await tx.$executeRaw`
    INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventId", "seq")
    SELECT gen_random_uuid(), w."id", ${row.id}::uuid, ${row.seq}
    FROM "Webhook" w
    WHERE ${subscribedTo(event.type)}`;
  return row.id;
}

/**
 * enqueueWebhookEvent for many events in `tx`: one statement per event type, whatever their number (a
 * readiness sweep can raise an event per host; two statements per event cost ~2 ms of the API's CPU
 * each, seconds for a fleet). Within a type, events get their seq in array order; their deliveries are
 * those enqueueWebhookEvent writes.
 */
export async function enqueueWebhookEvents(
  tx: Prisma.TransactionClient,
  events: OutboxEvent[],
): Promise<void> {
  for (const type of new Set(events.map((e) => e.type))) {
    const rows = events.filter((e) => e.type === type).map(({ subjectId, data }) => ({ subjectId, data }));
    await tx.$executeRaw`
      WITH e AS (
        INSERT INTO "WebhookOutboxEvent" ("id", "type", "subjectId", "data")
        SELECT gen_random_uuid(), ${type}::"WebhookEventType", x->>'subjectId', x->'data'
        FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) WITH ORDINALITY AS t(x, n)
        ORDER BY n
        RETURNING "id", "seq")
      INSERT INTO "WebhookDelivery" ("id", "webhookId", "eventId", "seq")
      SELECT gen_random_uuid(), w."id", e."id", e."seq" FROM e, "Webhook" w
      WHERE ${subscribedTo(type)}`;
  }
}

/**
 * The webhooks (`w`) that receive an event of `type`: active ones subscribed to it. One condition for
 * every statement that writes an event's deliveries (here, and presence.ts's one-statement connect).
 */
export function subscribedTo(type: WebhookEventType): Prisma.Sql {
  return Prisma.sql`w."active" AND ${type}::"WebhookEventType" = ANY (w."events")`;
}
