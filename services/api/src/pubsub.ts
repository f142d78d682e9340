// One typed pubsub. Payloads are hints ("this changed"): subscribers re-read the database, which is
// the source of truth, so a lost message costs freshness, never correctness. With REDIS_URL the
// events cross replicas through Redis.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";
import type { Logger } from "./logger.ts";

export type PubSubTopics = {
  hostChanged: [payload: { hostId: string }];
  agentCommand: [hostId: string, payload: { commandId: string }];
  /** A migration changed (state, progress): payload-less hint, subscribers re-read it. */
  migrationChanged: [migrationId: string, payload: { at: number }];
  /** Any migration changed; for list subscriptions. */
  migrationsChanged: [payload: { migrationId: string }];
  /** A host's maintenance changed (state, progress): hint, subscribers re-read it. */
  maintenanceChanged: [maintenanceId: string, payload: { at: number }];
  /** Any maintenance changed; for maintenanceChanged without an id. */
  maintenancesChanged: [payload: { maintenanceId: string }];
  /** An agent answered a command. */
  commandCompleted: [commandId: string, payload: { status: string }];
  /** A host configuration operation (an agent command) was issued or answered. */
  hostOperationChanged: [payload: { operationId: string; hostId: string }];
  /** A Hyper-V-VMMS-Admin event of a host was stored (eventRowId: HostEvent.id). */
  hostEventStored: [payload: { hostId: string; eventRowId: string }];
  /**
   * A token, agent credential or enrollment was revoked or used (committed): every replica closes the
   * sockets of that principal key (security/sockets.ts), which cache their principal for their life.
   */
  principalRevoked: [payload: { key: string; reason: string }];
  /** Asks the replica holding this agent's socket to drop it (credential revoked). */
  agentDisconnect: [hostId: string, payload: { reason: string }];
};

export type PubSub = ReturnType<typeof createPubSub<PubSubTopics>>;

export interface PubSubHandle {
  pubsub: PubSub;
  /** Resolves when Redis answers PING (immediately without Redis); rejects when it cannot. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Bounds: a publish while Redis is away fails at once (no offline queue: a hint that cannot be sent
 * is dropped and logged, readers re-read on their timers), and every command times out. The
 * subscriber keeps its queue so that its SUBSCRIBEs are replayed when Redis is back.
 */
export function createAppPubSub(
  redis: { url: string; commandTimeoutMs: number; namespace: string } | null,
  logger: Logger,
): PubSubHandle {
  if (!redis) return { pubsub: createPubSub<PubSubTopics>(), ping: async () => {}, close: async () => {} };
  const common = { commandTimeout: redis.commandTimeoutMs, connectTimeout: redis.commandTimeoutMs };
  const publishClient = new Redis(redis.url, {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  const subscribeClient = new Redis(redis.url, { ...common, maxRetriesPerRequest: null });
  let lastError = "";
  const onError = (err: Error) => {
    // ioredis retries forever and emits each failure: log a change of state, not every retry.
    if (err.message !== lastError) logger.warn({ err }, "redis unavailable");
    lastError = err.message;
  };
  publishClient.on("error", onError);
  subscribeClient.on("error", onError);
  publishClient.on("ready", () => (lastError = ""));
  // Every channel carries the deployment's namespace: a hint names rows of one database, and another
  // deployment sharing this Redis must never hear it (its subscribers would look up ids it lacks).
  const ns = `${redis.namespace}:`;
  // The event target calls these without awaiting: their failures must not become unhandled rejections.
  const publisher = {
    publish: (channel: string, message: string) =>
      publishClient.publish(ns + channel, message).catch((err: Error) => {
        logger.debug({ err, channel }, "hint not published (redis unavailable)");
        return 0;
      }),
  };
  const subscriber = {
    on: (event: "message", listener: (channel: string, message: string) => void) =>
      subscribeClient.on(event, (channel: string, message: string) => {
        if (channel.startsWith(ns)) listener(channel.slice(ns.length), message);
      }),
    subscribe: (channel: string) =>
      subscribeClient
        .subscribe(ns + channel)
        .catch((err: Error) => logger.warn({ err, channel }, "subscribe failed")),
    unsubscribe: (channel: string) =>
      subscribeClient
        .unsubscribe(ns + channel)
        .catch((err: Error) => logger.debug({ err, channel }, "unsubscribe failed")),
  };
  const eventTarget = createRedisEventTarget({
    publishClient: publisher as unknown as Redis,
    subscribeClient: subscriber as unknown as Redis,
  });
  return {
    pubsub: createPubSub<PubSubTopics>({ eventTarget }),
    async ping() {
      // Both connections matter: one publishes hints, the other receives them.
      if (subscribeClient.status !== "ready") throw new Error(`subscriber ${subscribeClient.status}`);
      await publishClient.ping();
    },
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
