// HTTP requests' principals, cached by the secret's hash so a request does not read the token table
// (issue 16; a WebSocket keeps its principal for the socket's life, security/sockets.ts). An entry
// lives `ttlMs` (the socket sweep's period: the backstop for revocations made straight in the
// database), never past the secret's expiry, and is dropped at once when its principal is revoked:
// on this replica by the revoking call, on the others by the pubsub's principalRevoked message
// (security/sockets.ts calls drop for both). Single-use enrollment secrets are never cached.
import type { CachedSession, Principal, PrincipalCache } from "../../context.ts";

export type { CachedSession, PrincipalCache };

/** The key of a principal's sockets and cache entries: `token:<id>`, `agent:<credentialId>`, ... */
export function principalKey(p: Principal): string {
  if (p.kind === "user") return `token:${p.tokenId}`;
  if (p.kind === "agent") return `agent:${p.credentialId}`;
  return `enrollment:${p.enrollmentId}`;
}

interface Entry {
  key: string;
  session: CachedSession;
  until: number;
}

export function createPrincipalCache(ttlMs: number, maxEntries = 10_000): PrincipalCache {
  const byHash = new Map<string, Entry>();
  const droppedAt = new Map<string, number>();
  return {
    get(hash, now = Date.now()) {
      const entry = byHash.get(hash);
      if (!entry) return undefined;
      if (now >= entry.until) {
        byHash.delete(hash);
        return undefined;
      }
      return entry.session;
    },
    set(hash, key, session, readAt, now = Date.now()) {
      if (ttlMs <= 0 || session.principal.kind === "enrollment") return;
      const dropped = droppedAt.get(key);
      if (dropped !== undefined && dropped >= readAt) return;
      const expires = session.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
      const until = Math.min(now + ttlMs, expires);
      if (until <= now) return;
      // Bounded: the oldest entry goes first (Map keeps insertion order).
      if (byHash.size >= maxEntries && !byHash.has(hash)) {
        const oldest = byHash.keys().next().value;
        if (oldest !== undefined) byHash.delete(oldest);
      }
      byHash.delete(hash);
      byHash.set(hash, { key, session, until });
    },
    drop(key) {
      const now = Date.now();
      for (const [k, at] of droppedAt) if (now - at > ttlMs) droppedAt.delete(k);
      droppedAt.set(key, now);
      for (const [hash, entry] of byHash) if (entry.key === key) byHash.delete(hash);
    },
    size: () => byHash.size,
  };
}
