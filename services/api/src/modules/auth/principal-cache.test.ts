import { describe, expect, it } from "vitest";
import { createPrincipalCache, principalKey } from "./principal-cache.ts";

const user = { kind: "user", tokenId: "t1", name: "ops", role: "VIEWER" } as const;
const agent = { kind: "agent", credentialId: "c1", hostId: "h1", hostName: "HV1" } as const;

describe("HTTP principal cache", () => {
  it("serves a secret for ttl after its lookup, then asks again", () => {
    const cache = createPrincipalCache(5000);
    cache.set("h", principalKey(user), { principal: user, expiresAt: null }, 1000, 1000);
    expect(cache.get("h", 5999)?.principal).toEqual(user);
    expect(cache.get("h", 6000)).toBeUndefined();
  });

  it("never serves a secret past its expiry", () => {
    const cache = createPrincipalCache(5000);
    cache.set("h", "token:t1", { principal: user, expiresAt: new Date(3000) }, 1000, 1000);
    expect(cache.get("h", 2999)).toBeDefined();
    expect(cache.get("h", 3000)).toBeUndefined();
    cache.set("x", "token:t1", { principal: user, expiresAt: new Date(1000) }, 1000, 1000);
    expect(cache.get("x", 1000)).toBeUndefined();
  });

  it("a revocation drops every secret of the principal and refuses a lookup that raced it", () => {
    const cache = createPrincipalCache(60_000);
    const now = Date.now();
    cache.set("a", "token:t1", { principal: user, expiresAt: null }, now, now);
    cache.set("b", "agent:c1", { principal: agent, expiresAt: null }, now, now);
    cache.drop("token:t1");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")?.principal).toEqual(agent);
    // Read before the revocation, stored after it: not kept.
    cache.set("a", "token:t1", { principal: user, expiresAt: null }, now - 1);
    expect(cache.get("a")).toBeUndefined();
    // A lookup after the revocation (e.g. a new token of the same id cannot exist; a later read) is kept.
    cache.set("a", "token:t1", { principal: user, expiresAt: null }, Date.now() + 1);
    expect(cache.get("a")).toBeDefined();
  });

  it("does not cache single-use enrollment secrets, and is bounded", () => {
    const cache = createPrincipalCache(5000, 2);
    const enrollment = { kind: "enrollment", enrollmentId: "e1", hostName: "HV1" } as const;
    cache.set("e", "enrollment:e1", { principal: enrollment, expiresAt: null }, 0, 0);
    expect(cache.get("e", 1)).toBeUndefined();
    cache.set("1", "token:1", { principal: user, expiresAt: null }, 0, 0);
    cache.set("2", "token:2", { principal: user, expiresAt: null }, 0, 0);
    cache.set("3", "token:3", { principal: user, expiresAt: null }, 0, 0);
    expect(cache.size()).toBe(2);
    expect(cache.get("1", 1)).toBeUndefined();
    expect(cache.get("3", 1)).toBeDefined();
  });
});
