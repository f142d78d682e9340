// Open WebSockets per principal, so revoking a token or an agent credential closes its sockets. A
// socket's principal is cached for the socket's life (ws.ts: no operation reads the token table), so
// this registry is what ends it: a revocation closes the sockets at once on the replica that revoked
// and, through the pubsub's principalRevoked (Redis with REDIS_URL), on every other replica. A periodic
// sweep of the database (the source of truth) is the backstop: it closes what a lost message missed,
// tokens revoked by hand in the database, and expired tokens of idle sockets.
import type { App, Principal, SocketCloser } from "../context.ts";
import { createPrincipalCache, type PrincipalCache, principalKey } from "../modules/auth/principal-cache.ts";

/** Close code sent to a socket whose token was revoked or expired (graphql-ws: Forbidden). */
export const CLOSE_REVOKED = 4403;

interface Closable {
  close(code: number, reason: string): void;
}

export interface SocketRegistry extends SocketCloser {
  add(principal: Principal, socket: Closable): () => void;
  /** Checks every tracked principal against the database and closes the revoked or expired. */
  sweep(): Promise<number>;
  size(): number;
  /** Starts the periodic sweep (a worker of app.ts). */
  start(): void;
  stop(): Promise<void>;
}

export { principalKey };

/** The registry needs the database and pubsub, not the whole App (which holds the registry as `sockets`). */
type Deps = Pick<App, "db" | "logger" | "inflight" | "pubsub">;

/**
 * How long a revoked key is remembered: a socket whose connection_init read the token just before the
 * revocation committed, and that registers after the message arrived, is closed when it registers.
 */
const REMEMBER_REVOKED_MS = 60_000;

export function createSocketRegistry(app: Deps, sweepMs = 5000): SocketRegistry {
  const byKey = new Map<string, Set<Closable>>();
  const revokedAt = new Map<string, number>();
  // HTTP requests' principals (modules/auth/principal-cache.ts): kept as long as a sweep period, the
  // backstop for revocations this replica hears of no other way; dropped with the key's sockets.
  const principals: PrincipalCache = createPrincipalCache(sweepMs);
  const close = (key: string, reason: string) => {
    principals.drop(key);
    const sockets = byKey.get(key);
    if (!sockets) return 0;
    byKey.delete(key);
    for (const s of sockets) s.close(CLOSE_REVOKED, `Forbidden: ${reason}`);
    return sockets.size;
  };
  const remember = (key: string) => {
    const now = Date.now();
    for (const [k, at] of revokedAt) if (now - at > REMEMBER_REVOKED_MS) revokedAt.delete(k);
    revokedAt.set(key, now);
  };
  let messages: AsyncIterator<{ key: string; reason: string }> | undefined;
  const listen = async (iterator: AsyncIterator<{ key: string; reason: string }>) => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      remember(next.value.key);
      const closed = close(next.value.key, next.value.reason);
      if (closed) app.logger.debug({ key: next.value.key, closed }, "sockets of a revoked principal closed");
    }
  };
  const registry: SocketRegistry = {
    principals,
    add(principal, socket) {
      const key = principalKey(principal);
      const at = revokedAt.get(key);
      if (at !== undefined && Date.now() - at <= REMEMBER_REVOKED_MS) {
        socket.close(CLOSE_REVOKED, "Forbidden: revoked");
        return () => {};
      }
      const set = byKey.get(key) ?? new Set();
      set.add(socket);
      byKey.set(key, set);
      return () => {
        set.delete(socket);
        if (set.size === 0 && byKey.get(key) === set) byKey.delete(key);
      };
    },
    close,
    revoke(key, reason) {
      remember(key);
      close(key, reason);
      app.pubsub.publish("principalRevoked", { key, reason });
    },
    async sweep() {
      const ids = (prefix: string) =>
        [...byKey.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
      const tokenIds = ids("token:");
      const credentialIds = ids("agent:");
      const enrollmentIds = ids("enrollment:");
      // Plain reads with one array parameter, answering only what must close (usually nothing): through
      // Prisma, an `IN` list of 2,000 agent credentials cost 20-35 ms of the event loop every sweep
      // (issue 16: the fan-out and vms page tails with 2,000 agents connected).
      const now = new Date().toISOString();
      const closing = async (ids: string[], text: string, params: unknown[] = []) =>
        ids.length ? (await app.db.pool.query<{ id: string }>(text, [ids, ...params])).rows : [];
      const [tokens, credentials, enrollments] = await Promise.all([
        closing(
          tokenIds,
          `SELECT "id"::text AS "id" FROM "ApiToken" WHERE "id" = ANY($1::uuid[])
             AND ("revokedAt" IS NOT NULL OR "expiresAt" <= $2::timestamp(3))`,
          [now],
        ),
        closing(
          credentialIds,
          `SELECT "id"::text AS "id" FROM "AgentCredential" WHERE "id" = ANY($1::uuid[]) AND "revokedAt" IS NOT NULL`,
        ),
        closing(
          enrollmentIds,
          `SELECT "id"::text AS "id" FROM "AgentEnrollment" WHERE "id" = ANY($1::uuid[])
             AND ("usedAt" IS NOT NULL OR "expiresAt" <= $2::timestamp(3))`,
          [now],
        ),
      ]);
      let closed = 0;
      for (const t of tokens) closed += close(`token:${t.id}`, "token revoked or expired");
      for (const c of credentials) closed += close(`agent:${c.id}`, "agent credential revoked");
      for (const e of enrollments) closed += close(`enrollment:${e.id}`, "enrollment used or expired");
      return closed;
    },
    size: () => [...byKey.values()].reduce((n, s) => n + s.size, 0),
    start() {
      if (!messages) {
        messages = app.pubsub.subscribe("principalRevoked")[Symbol.asyncIterator]();
        void listen(messages).catch((err) => app.logger.warn({ err }, "revocation messages stopped"));
      }
      timer ??= setInterval(() => {
        if (sweeping || byKey.size === 0) return;
        sweeping = true;
        void app.inflight
          .track(registry.sweep())
          .catch((err) => app.logger.warn({ err }, "socket sweep failed"))
          .finally(() => (sweeping = false));
      }, sweepMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await messages?.return?.();
      messages = undefined;
    },
  };
  let sweeping = false;
  let timer: NodeJS.Timeout | undefined;
  return registry;
}
