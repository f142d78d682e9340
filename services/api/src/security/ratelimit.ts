// Per-token rate limit: a token bucket per key (a token's hash, or the client address when anonymous),
// refilled continuously. Buckets idle long enough to be full again are dropped, so memory stays bounded.

export interface RateLimiter {
  /** Takes one request from `key`'s bucket; when empty, how long until the next one is allowed. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number };
  size(): number;
}

export function createRateLimiter(options: {
  perSecond: number;
  burst: number;
  now?: () => number;
  maxKeys?: number;
}): RateLimiter {
  const { perSecond, burst } = options;
  const now = options.now ?? (() => performance.now());
  const maxKeys = options.maxKeys ?? 100_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const fullAfterMs = perSecond > 0 ? (burst / perSecond) * 1000 : 0;
  const prune = (t: number) => {
    for (const [key, b] of buckets) if (t - b.at >= fullAfterMs) buckets.delete(key);
    // Still too many (a flood of distinct keys): drop the oldest.
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };
  return {
    take(key) {
      if (perSecond <= 0) return { ok: true };
      const t = now();
      let b = buckets.get(key);
      if (!b) {
        if (buckets.size >= maxKeys) prune(t);
        b = { tokens: burst, at: t };
      } else {
        b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
        b.at = t;
        buckets.delete(key); // re-insert: Map order doubles as least-recently-used order
      }
      buckets.set(key, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / perSecond)) };
    },
    size: () => buckets.size,
  };
}
