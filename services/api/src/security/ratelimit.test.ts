import { describe, expect, it } from "vitest";
import { createRateLimiter } from "./ratelimit.ts";

/** A limiter on a hand-moved clock (ms). */
function limiter(perSecond: number, burst: number, maxKeys?: number) {
  let t = 0;
  const l = createRateLimiter({ perSecond, burst, maxKeys, now: () => t });
  return { l, advance: (ms: number) => (t += ms) };
}

describe("rate limiter (token bucket per key)", () => {
  it("allows a burst, then refuses with the seconds until the next request", () => {
    const { l } = limiter(0.5, 3);
    expect([l.take("a").ok, l.take("a").ok, l.take("a").ok]).toEqual([true, true, true]);
    expect(l.take("a")).toEqual({ ok: false, retryAfterSeconds: 2 });
  });

  it("refills continuously, never above the burst", () => {
    const { l, advance } = limiter(1, 2);
    l.take("a");
    l.take("a");
    expect(l.take("a").ok).toBe(false);
    advance(1000);
    expect(l.take("a").ok).toBe(true);
    advance(60_000);
    expect([l.take("a").ok, l.take("a").ok, l.take("a").ok]).toEqual([true, true, false]);
  });

  it("keeps one bucket per key", () => {
    const { l } = limiter(1, 1);
    expect(l.take("a").ok).toBe(true);
    expect(l.take("a").ok).toBe(false);
    expect(l.take("b").ok).toBe(true);
  });

  it("0 per second disables the limit", () => {
    const { l } = limiter(0, 1);
    for (let i = 0; i < 100; i++) expect(l.take("a").ok).toBe(true);
  });

  it("stays bounded under a flood of distinct keys (drops full, then least recently used buckets)", () => {
    const { l, advance } = limiter(1, 5, 100);
    for (let i = 0; i < 1000; i++) {
      l.take(`k${i}`);
      advance(1);
    }
    expect(l.size()).toBeLessThanOrEqual(100);
  });
});
