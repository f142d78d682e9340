// Two deployments sharing one Redis must not hear each other's hints: a hint names rows of its own
// database, and a subscriber that looks up another database's host id answers an internal error
// (seen as masked errors on hostChanged when test files shared CI's Redis). Real Redis.

import { createLogger, redisNamespaceFor } from "@ferry/api/server";
import { createAppPubSub, type PubSubHandle } from "@ferry/api/testing";
import { afterAll, describe, expect, it } from "vitest";

const redisUrl = process.env.REDIS_URL || undefined;
const handles: PubSubHandle[] = [];

function open(namespace: string): PubSubHandle {
  const handle = createAppPubSub(
    { url: redisUrl!, commandTimeoutMs: 2_000, namespace },
    createLogger("silent"),
  );
  handles.push(handle);
  return handle;
}

/** Collects hostChanged hints until stopped. */
function listen(handle: PubSubHandle): { seen: string[]; stop: () => Promise<void> } {
  const seen: string[] = [];
  const iterator = handle.pubsub.subscribe("hostChanged")[Symbol.asyncIterator]();
  const loop = (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      seen.push(next.value.hostId);
    }
  })();
  return {
    seen,
    stop: async () => {
      await iterator.return?.();
      await loop;
    },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until both of a handle's Redis connections are up. */
async function pinged(handle: PubSubHandle, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await handle.ping();
    } catch (err) {
      if (Date.now() > end) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
});

describe("the default Redis namespace", () => {
  it("is the same for replicas of one database and differs between databases, whatever the credentials", () => {
    const a = redisNamespaceFor("postgresql://ferry:one@db.example:5432/ferry");
    expect(redisNamespaceFor("postgresql://other:two@db.example/ferry")).toBe(a);
    expect(redisNamespaceFor("postgresql://ferry:one@db.example:5432/ferry_staging")).not.toBe(a);
    expect(redisNamespaceFor("postgresql://ferry:one@db2.example:5432/ferry")).not.toBe(a);
    expect(redisNamespaceFor("/var/lib/ferry")).not.toBe(redisNamespaceFor("/var/lib/ferry2"));
    expect(a).toMatch(/^ferry-[0-9a-f]{12}$/);
  });
});

describe.skipIf(!redisUrl)("hints on a shared Redis (needs REDIS_URL; .ci/run provides it)", () => {
  it("reach every replica of the same deployment and no other deployment", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const replica1 = open(`deployment-a-${suffix}`);
    const replica2 = open(`deployment-a-${suffix}`);
    const other = open(`deployment-b-${suffix}`);
    for (const handle of handles) await pinged(handle);
    const sameDeployment = listen(replica2);
    const otherDeployment = listen(other);

    // SUBSCRIBE is asynchronous: publish until each subscriber hears its own deployment.
    await until(() => {
      replica1.pubsub.publish("hostChanged", { hostId: "a-warm-up" });
      return sameDeployment.seen.length > 0;
    }, "the subscription of the second replica of A");
    await until(() => {
      other.pubsub.publish("hostChanged", { hostId: "b-warm-up" });
      return otherDeployment.seen.length > 0;
    }, "the subscription of deployment B");
    replica1.pubsub.publish("hostChanged", { hostId: "a-host" });
    await until(() => sameDeployment.seen.includes("a-host"), "the hint on the other replica of A");
    other.pubsub.publish("hostChanged", { hostId: "b-host" });
    await until(() => otherDeployment.seen.includes("b-host"), "deployment B's own hint");

    // Each heard only its own deployment (B subscribed before "a-host" was sent, A before "b-host").
    expect(sameDeployment.seen.filter((id) => !id.startsWith("a-"))).toEqual([]);
    expect(otherDeployment.seen.filter((id) => !id.startsWith("b-"))).toEqual([]);
    await sameDeployment.stop();
    await otherDeployment.stop();
  });
});
