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
