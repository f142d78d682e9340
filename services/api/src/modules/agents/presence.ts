// Whether a host's agent is connected, and through which replica. A session token guards against a
// late disconnect of an old socket marking a freshly reconnected agent offline.
import { randomUUID } from "node:crypto";
import type { App } from "../../context.ts";

export async function markConnected(app: App, hostId: string): Promise<string> {
  const session = `${app.replicaId}/${randomUUID()}`;
  await app.db.prisma.host.update({
    where: { id: hostId },
    data: { agentConnected: true, agentReplica: session, agentLastSeenAt: new Date() },
  });
  app.pubsub.publish("hostChanged", { hostId });
  return session;
}

export async function markDisconnected(app: App, hostId: string, session: string): Promise<void> {
  const { count } = await app.inflight.track(
    app.db.prisma.host.updateMany({
      where: { id: hostId, agentReplica: session },
      data: { agentConnected: false, agentReplica: null, agentLastSeenAt: new Date() },
    }),
  );
  if (count > 0) app.pubsub.publish("hostChanged", { hostId });
}

/** How often a connected agent's lastSeenAt is refreshed, and after how long without it the flag is stale. */
export const HEARTBEAT_MS = 20_000;
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

/** Refreshes lastSeenAt while this session holds the agent (so a crashed replica's flag goes stale). */
export async function heartbeat(app: App, hostId: string, session: string): Promise<void> {
  await app.db.prisma.host.updateMany({
    where: { id: hostId, agentReplica: session },
    data: { agentLastSeenAt: new Date() },
  });
}

/** Connected now: the flag is set and fresh (a replica that died cannot clear its flags). */
export function isAgentLive(
  host: { agentConnected: boolean; agentLastSeenAt: Date | null },
  now = Date.now(),
): boolean {
  return (
    host.agentConnected && !!host.agentLastSeenAt && now - host.agentLastSeenAt.getTime() < STALE_AFTER_MS
  );
}
