// Reactions to agents' answers (registered by app.ts through registerMigrationReactions), and the sweeper that fails migrations whose agent never came back.
import type { App } from "../../context.ts";
import { onCommandCompleted } from "../agents/commands.ts";
import { STALE_AFTER_MS } from "../agents/presence.ts";
import { finishMigration } from "./progress.ts";

/** START_MOVE refused at start (disabled, limit, auth...): the migration fails with Hyper-V's error. */
export function registerMigrationReactions(app: App): void {
  onCommandCompleted(app, "START_MOVE", async (app, command) => {
    if (!command.migrationId) return;
    if (command.status === "FAILED") {
      const eventId = (command.result as { eventId?: number } | null)?.eventId ?? null;
      await finishMigration(app, command.migrationId, "FAILED", {
        code: command.errorCode ?? "UNKNOWN",
        message: command.errorMessage ?? "the move could not be started",
        eventId,
      });
      return;
    }
    const jobId = (command.result as { jobId?: string } | null)?.jobId;
    if (jobId) {
      await app.db.prisma.migration.updateMany({
        where: { id: command.migrationId, jobId: null },
        data: { jobId },
      });
    }
  });
}

const SWEEP_MS = 5_000;

/** Fails RUNNING/CANCELLING migrations whose source agent has been away longer than allowed. */
export async function sweepLostAgents(app: App, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - app.config.agentLostAfterSeconds * 1000);
  const lost = await app.db.prisma.migration.findMany({
    where: {
      state: { in: ["RUNNING", "CANCELLING"] },
      // Away = not live (disconnected, or its replica stopped refreshing) and last seen before the cutoff.
      sourceHost: {
        agentLastSeenAt: { lt: cutoff },
        OR: [{ agentConnected: false }, { agentLastSeenAt: { lt: new Date(now - STALE_AFTER_MS) } }],
      },
    },
    select: { id: true, sourceHost: { select: { name: true } } },
  });
  for (const m of lost) {
    await finishMigration(app, m.id, "FAILED", {
      code: "AGENT_LOST",
      message: `The agent of ${m.sourceHost.name} was away for more than ${app.config.agentLostAfterSeconds} s during the migration.`,
      eventId: null,
    });
  }
  return lost.length;
}

export function startLostAgentSweeper(app: App): { stop(): void } {
  const timer = setInterval(() => {
    void app.inflight
      .track(sweepLostAgents(app))
      .catch((error) => app.logger.error({ err: error }, "sweep failed"));
  }, SWEEP_MS);
  return { stop: () => clearInterval(timer) };
}
