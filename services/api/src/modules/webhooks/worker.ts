// The delivery worker (a worker of app.ts). Each pass claims webhooks that have due deliveries with
// one guarded UPDATE: a lease on the Webhook row (FOR UPDATE SKIP LOCKED picks rows no other replica
// is claiming; the lease condition is re-checked on the locked row). Only the lease holder sends a
// webhook's deliveries, one at a time, oldest event first: two replicas never send the same delivery
// at once, and a healthy receiver gets its events in order. At most `concurrency` webhooks are sent
// to at once per replica and every request has a timeout, so a slow receiver costs a slot, never the
// API. A failed attempt is retried with exponential backoff (base * 2^attempts, at most 1 h) until the
// retry window (24 h after the event) is over, then the delivery is FAILED. A success pulls that
// webhook's waiting retries forward: a receiver that comes back gets what it missed, in order.
import { randomUUID } from "node:crypto";
import type { App } from "../../context.ts";
import type { Webhook } from "../../generated/prisma/client.ts";
import { postSigned } from "./deliver.ts";
import { decryptSecret, webhookKey } from "./secret.ts";

const MAX_BACKOFF_MS = 3_600_000;
/** Deliveries sent per lease before the webhook is released (fairness between webhooks). */
const PER_PASS = 50;

export interface DeliveryOutcome {
  webhookId: string;
  ok: boolean;
  final: boolean;
  ms: number;
}

/** Backoff before attempt `attempts + 1`: base * 2^(attempts-1), capped at 1 h, never past the window's end. */
export function nextAttemptDelay(attempts: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

/** The receiver answered and refused this event (4xx other than 408 and 429). */
function rejectedOnly(status: number | null): boolean {
  return status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/** Never tried, or last answered as by a receiver that is away (no answer, 408, 429, 5xx): not rejectedOnly. */
const AWAY_STATUS = [
  { lastStatusCode: null },
  { lastStatusCode: { lt: 400 } },
  { lastStatusCode: { gte: 500 } },
  { lastStatusCode: { in: [408, 429] } },
];

type Claimed = Pick<Webhook, "id" | "url" | "secretCipher">;

export function startWebhookWorker(app: App, onOutcome: (o: DeliveryOutcome) => void = () => {}) {
  const settings = app.config.webhooks;
  const leaseMs = settings.timeoutMs + 30_000;
  const running = new Map<string, Promise<void>>();
  const log = app.logger.child({ module: "webhooks" });
  let key: Buffer | null | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const claim = async (n: number): Promise<Claimed[]> => {
    const owner = `${app.replicaId}/${randomUUID()}`;
    const rows = await app.db.prisma.$queryRaw<Claimed[]>`
      UPDATE "Webhook" w SET "leaseOwner" = ${owner}, "leaseUntil" = now() + ${leaseMs}::int * interval '1 millisecond'
      WHERE w."id" IN (
        SELECT c."id" FROM "Webhook" c
        WHERE c."active" AND (c."leaseUntil" IS NULL OR c."leaseUntil" < now())
          AND EXISTS (SELECT 1 FROM "WebhookDelivery" d
                      WHERE d."webhookId" = c."id" AND d."state" = 'PENDING' AND d."nextAttemptAt" <= now())
        ORDER BY c."leaseUntil" ASC NULLS FIRST
        LIMIT ${n}::int
        FOR UPDATE SKIP LOCKED)
        AND (w."leaseUntil" IS NULL OR w."leaseUntil" < now())
      RETURNING w."id", w."url", w."secretCipher", w."leaseOwner"`;
    return rows;
  };

  const send = async (webhook: Claimed & { leaseOwner?: string | null }) => {
    const owner = webhook.leaseOwner!;
    const db = app.db.prisma;
    try {
      for (let i = 0; i < PER_PASS && !stopped; i++) {
        // In order: the oldest delivery still waiting because the receiver was away is the head of the
        // line, and nothing newer goes before it (an event enqueued after the last failed attempt is due
        // at once, sooner than the head's retry). Deliveries refused with a 4xx do not hold the line.
        const head = await db.webhookDelivery.findFirst({
          where: { webhookId: webhook.id, state: "PENDING", OR: AWAY_STATUS },
          orderBy: { seq: "asc" },
          select: { seq: true },
        });
        const delivery = await db.webhookDelivery.findFirst({
          where: {
            webhookId: webhook.id,
            state: "PENDING",
            nextAttemptAt: { lte: new Date() },
            ...(head ? { seq: { lte: head.seq } } : {}),
          },
          orderBy: { seq: "asc" },
          include: { event: true },
        });
        if (!delivery) return;
        // Still ours? (renewed before each request, so the lease always covers the request in flight)
        const renewed = await db.webhook.updateMany({
          where: { id: webhook.id, leaseOwner: owner },
          data: { leaseUntil: new Date(Date.now() + leaseMs) },
        });
        if (renewed.count === 0) return;
        const body = JSON.stringify({
          id: delivery.event.id,
          type: delivery.event.type,
          time: delivery.event.at.toISOString(),
          data: delivery.event.data,
        });
        const started = Date.now();
        let result: { ok: boolean; statusCode: number | null; error: string | null };
        try {
          key ??= webhookKey(app.config);
          if (!key) throw new Error("FERRY_WEBHOOK_KEY is not set: cannot read the signing secret");
          const secret = decryptSecret(key, webhook.secretCipher);
          result = await postSigned(webhook.url, secret, body, {
            timeoutMs: settings.timeoutMs,
            allowPrivate: settings.allowPrivate,
            eventId: delivery.event.id,
            deliveryId: delivery.id,
          });
        } catch (error) {
          result = { ok: false, statusCode: null, error: (error as Error).message };
        }
        const now = new Date();
        const attempts = delivery.attempts + 1;
        const windowEnd = delivery.event.at.getTime() + settings.retryForMs;
        const final = !result.ok && now.getTime() >= windowEnd;
        await db.webhookDelivery.updateMany({
          where: { id: delivery.id, state: "PENDING" },
          data: result.ok
            ? {
                state: "DELIVERED",
                attempts,
                deliveredAt: now,
                lastStatusCode: result.statusCode,
                lastError: null,
              }
            : {
                state: final ? "FAILED" : "PENDING",
                attempts,
                lastStatusCode: result.statusCode,
                lastError: result.error,
                nextAttemptAt: new Date(
                  Math.min(windowEnd, now.getTime() + nextAttemptDelay(attempts, settings.retryBaseMs)),
                ),
              },
        });
        onOutcome({
          webhookId: webhook.id,
          ok: result.ok,
          final: result.ok || final,
          ms: Date.now() - started,
        });
        if (!result.ok) {
          log.info(
            {
              webhookId: webhook.id,
              deliveryId: delivery.id,
              eventId: delivery.event.id,
              attempts,
              error: result.error,
              final,
            },
            final ? "webhook delivery failed for good" : "webhook delivery failed; will retry",
          );
          // A 4xx refuses this event only: the next ones go on. No answer, 5xx, 408 or 429: the receiver is
          // away, so the webhook's later deliveries wait with this one and are sent after it, in order.
          if (rejectedOnly(result.statusCode)) continue;
          if (!final) {
            const next = new Date(
              Math.min(windowEnd, now.getTime() + nextAttemptDelay(attempts, settings.retryBaseMs)),
            );
            await db.webhookDelivery.updateMany({
              where: {
                webhookId: webhook.id,
                state: "PENDING",
                seq: { gt: delivery.seq },
                nextAttemptAt: { lt: next },
              },
              data: { nextAttemptAt: next },
            });
          }
          return;
        }
        // The receiver answers: what waits for a retry goes now, in order.
        await db.webhookDelivery.updateMany({
          where: { webhookId: webhook.id, state: "PENDING", nextAttemptAt: { gt: now } },
          data: { nextAttemptAt: now },
        });
      }
    } finally {
      await db.webhook
        .updateMany({
          where: { id: webhook.id, leaseOwner: owner },
          data: { leaseOwner: null, leaseUntil: null },
        })
        .catch((err) => log.warn({ err, webhookId: webhook.id }, "releasing the webhook lease failed"));
    }
  };

  const pass = async () => {
    const free = settings.concurrency - running.size;
    if (free <= 0) return;
    const claimed = await claim(free);
    for (const webhook of claimed) {
      const work = send(webhook)
        .catch((err) => log.error({ err, webhookId: webhook.id }, "webhook delivery pass failed"))
        .finally(() => running.delete(webhook.id));
      running.set(webhook.id, work);
    }
  };

  const loop = async () => {
    if (stopped) return;
    await pass().catch((err) => log.warn({ err }, "webhook worker pass failed"));
    if (!stopped) {
      timer = setTimeout(() => void loop(), settings.pollMs);
      timer.unref();
    }
  };
  void loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      // In-flight requests end within their timeout; leases of unfinished ones expire for other replicas.
      await Promise.race([
        Promise.allSettled(running.values()),
        new Promise((r) => setTimeout(r, settings.timeoutMs + 1000).unref()),
      ]);
    },
  };
}
