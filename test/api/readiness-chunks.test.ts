// Issue 16 (the tails with 2,000 agents connected): readiness reads its hosts READ_CHUNK at a time. Prisma
// builds a page of hosts with their four relations in one turn of the event loop (2,000 hosts: one 43-49
// ms block; a reaction batch of 1,000, about half), and requests and subscription events waited behind it.
// The sweep of every host pages by id, a batch of ids goes in chunks; every host is still checked once.
// Between pages a check of several hosts pauses (BUSY_SHARE in signals/readiness.ts), and a stopped sweep
// ends there.
import { checkReadiness, READ_CHUNK } from "@ferry/api/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";

const HOSTS = READ_CHUNK * 2 + 30;

let api: TestApi;
let ids: string[] = [];
beforeAll(async () => {
  api = await startTestApi();
  const names = Array.from({ length: HOSTS }, (_, i) => `chunk-${String(i).padStart(3, "0")}`);
  const { rows } = await api.server.app.db.pool.query<{ id: string }>(
    `INSERT INTO "Host" (id, name, delegations, "updatedAt")
     SELECT gen_random_uuid(), n, '{}', now() FROM unnest($1::text[]) AS n RETURNING id::text AS id`,
    [names],
  );
  ids = rows.map((r) => r.id);
  await api.server.app.db.pool.query(`INSERT INTO "MigrationSettings" ("hostId") SELECT unnest($1::uuid[])`, [
    ids,
  ]);
}, 60_000);
afterAll(async () => api?.stop());

/** The readiness read (its own columns; the fleet's identity read of every host is another statement). */
const READINESS_READ = /^SELECT .*"Host"\."delegationsKnown".* FROM "public"\."Host"/s;

/** The most rows any statement matching `statement` answered while `run` ran, and how many there were. */
async function hostReads(run: () => Promise<unknown>, statement = READINESS_READ) {
  const answered: number[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === "string" ? first : (first?.text ?? "");
    const onHost = statement.test(text);
    const count = (r: { rows?: unknown[] } | undefined) => onHost && answered.push(r?.rows?.length ?? 0);
    // Prisma's adapter passes a callback; other callers take the promise.
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = (error: unknown, r: { rows?: unknown[] }) => {
        if (!error) count(r);
        return (callback as (e: unknown, r: unknown) => unknown)(error, r);
      };
    }
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) void result.then(count, () => {});
    return result;
  } as typeof original;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = original;
  }
  return { most: Math.max(0, ...answered), statements: answered.length };
}

describe(`readiness of ${HOSTS} hosts`, () => {
  it("the sweep of every host reads them READ_CHUNK at a time and records every host once", async () => {
    const app = api.server.app;
    const reads = await hostReads(() => checkReadiness(app));
    expect(reads.most).toBeGreaterThan(0);
    expect(reads.most).toBeLessThanOrEqual(READ_CHUNK);
    const seen = await app.db.pool.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM "HostReadinessSeen" WHERE "hostId" = ANY($1::uuid[])`,
      [ids],
    );
    expect(seen.rows[0]!.n).toBe(HOSTS);
  }, 60_000);

  it("a sweep stopped (the API shutting down) ends after the page it is on, recording nothing", async () => {
    const app = api.server.app;
    const { pool } = app.db;
    await pool.query(`DELETE FROM "HostReadinessSeen" WHERE "hostId" = ANY($1::uuid[])`, [ids]);
    const stop = new AbortController();
    stop.abort();
    const reads = await hostReads(() => checkReadiness(app, undefined, stop.signal));
    // The first page was read; no other page, and no summary recorded (the next sweep does them all).
    expect(reads.statements).toBe(1);
    const seen = await pool.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM "HostReadinessSeen" WHERE "hostId" = ANY($1::uuid[])`,
      [ids],
    );
    expect(seen.rows[0]!.n).toBe(0);
    // Not stopped, the same sweep records every host again.
    await checkReadiness(app);
    const again = await pool.query<{ n: number }>(
      `SELECT count(*)::integer AS n FROM "HostReadinessSeen" WHERE "hostId" = ANY($1::uuid[])`,
      [ids],
    );
    expect(again.rows[0]!.n).toBe(HOSTS);
  }, 60_000);

  it("a batch of ids is read in chunks too", async () => {
    const reads = await hostReads(() => checkReadiness(api.server.app, ids));
    expect(reads.most).toBeGreaterThan(0);
    expect(reads.most).toBeLessThanOrEqual(READ_CHUNK);
    expect(reads.statements).toBeGreaterThanOrEqual(Math.ceil(HOSTS / READ_CHUNK));
  }, 60_000);

  it("a sweep that changes every summary writes the events and their deliveries in one statement per chunk, in order", async () => {
    const app = api.server.app;
    const { pool } = app.db;
    // A webhook subscribed to readiness changes (inserted here: createWebhook refuses unreachable URLs).
    const hook = await pool.query<{ id: string }>(
      `INSERT INTO "Webhook" (id, url, events, "secretCipher", "createdBy")
       VALUES (gen_random_uuid(), 'https://hooks.example.invalid/ferry', '{HOST_READINESS_CHANGED}', 'x', 'test')
       RETURNING id::text AS id`,
    );
    const webhookId = hook.rows[0]!.id;
    try {
      const last = await pool.query<{ seq: string }>(
        `SELECT coalesce(max(seq), 0)::text AS seq FROM "WebhookOutboxEvent"`,
      );
      // Every host's agent connects: every summary changes (agentConnected FAIL -> PASS).
      await pool.query(
        `UPDATE "Host" SET "agentConnected" = true, "agentLastSeenAt" = now() WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      const writes = await hostReads(
        () => checkReadiness(app),
        /INSERT INTO "(public"\.")?WebhookOutboxEvent"/,
      );
      const events = await pool.query<{
        id: string;
        seq: string;
        subjectId: string;
        data: { id: string; name: string; readiness: { name: string; status: string }[] };
      }>(
        `SELECT id::text AS id, seq::text AS seq, "subjectId", data FROM "WebhookOutboxEvent"
         WHERE type = 'HOST_READINESS_CHANGED' AND seq > $1::bigint ORDER BY seq`,
        [last.rows[0]!.seq],
      );
      expect(events.rows).toHaveLength(HOSTS);
      expect(new Set(events.rows.map((e) => e.data.name)).size).toBe(HOSTS);
      for (const e of events.rows) {
        expect(e.subjectId).toBe(e.data.id);
        expect(e.data.readiness.find((c) => c.name === "agentConnected")!.status).toBe("PASS");
      }
      // One delivery per event for the webhook, in the events' order.
      const deliveries = await pool.query<{ eventId: string; seq: string }>(
        `SELECT "eventId"::text AS "eventId", seq::text AS seq FROM "WebhookDelivery" WHERE "webhookId" = $1 ORDER BY seq`,
        [webhookId],
      );
      expect(deliveries.rows).toEqual(events.rows.map((e) => ({ eventId: e.id, seq: e.seq })));
      // One statement for the events of a transaction's chunk (500 hosts), not one per event.
      expect(writes.statements).toBe(1);
    } finally {
      await pool.query(`DELETE FROM "Webhook" WHERE id = $1::uuid`, [webhookId]);
    }
  }, 60_000);
});
