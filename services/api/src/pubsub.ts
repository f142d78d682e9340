// One typed pubsub. Payloads are hints ("this changed"): subscribers re-read the database, which is
// the source of truth, so a lost message costs freshness, never correctness. With REDIS_URL the
// events cross replicas through Redis.
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";

export type PubSubTopics = {
  hostChanged: [payload: { hostId: string }];
  agentCommand: [hostId: string, payload: { commandId: string }];
  /** A migration changed (state, progress): payload-less hint, subscribers re-read it. */
  migrationChanged: [migrationId: string, payload: { at: number }];
  /** Any migration changed; for list subscriptions. */
  migrationsChanged: [payload: { migrationId: string }];
  /** An agent answered a command. */
  commandCompleted: [commandId: string, payload: { status: string }];
  /** A host configuration operation (an agent command) was issued or answered. */
  hostOperationChanged: [payload: { operationId: string; hostId: string }];
  /** A Hyper-V-VMMS-Admin event of a host was stored (eventRowId: HostEvent.id). */
  hostEventStored: [payload: { hostId: string; eventRowId: string }];
  /** Asks the replica holding this agent's socket to drop it (credential revoked). */
  agentDisconnect: [hostId: string, payload: { reason: string }];
};

export type PubSub = ReturnType<typeof createPubSub<PubSubTopics>>;

export interface PubSubHandle {
  pubsub: PubSub;
  close(): Promise<void>;
}

export function createAppPubSub(redisUrl: string | undefined): PubSubHandle {
  if (!redisUrl) return { pubsub: createPubSub<PubSubTopics>(), close: async () => {} };
  const publishClient = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const subscribeClient = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const eventTarget = createRedisEventTarget({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<PubSubTopics>({ eventTarget }),
    async close() {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
