// Reactions to agents' answers to migration commands (registered by app.ts through
// registerMigrationReactions), and the sweeper that fails migrations whose agent never came back.
// Every state change goes through machine.ts.
import type { App } from "../../context.ts";
import { onCommandCompleted } from "../agents/commands.ts";
import { STALE_AFTER_MS } from "../agents/presence.ts";
import { failLost, reconcileCancel, recordStartAnswer, SLOT_STATES } from "./machine.ts";

export function registerMigrationReactions(app: App): void {
  /** START_MOVE refused at start (disabled, limit, auth...): the migration fails with Hyper-V's error. */
  onCommandCompleted(app, "START_MOVE", async (app, command) => {
    if (!command.migrationId) return;
    const result = command.result as { jobId?: string; eventId?: number } | null;
    await recordStartAnswer(app, command.migrationId, {
      failure:
        command.status === "FAILED"
          ? {
              code: command.errorCode ?? "UNKNOWN",
              message: command.errorMessage ?? "the move could not be started",
              eventId: result?.eventId ?? null,
            }
          : null,
      jobId: result?.jobId ?? null,
    });
  });

  /** CANCEL_MOVE found no job on the agent: reconcile instead of waiting forever in CANCELLING. */
  onCommandCompleted(app, "CANCEL_MOVE", async (app, command) => {
    if (!command.migrationId) return;
    const requested = (command.result as { requested?: boolean } | null)?.requested;
    if (command.status === "SUCCEEDED" && requested === false)
      await reconcileCancel(app, command.migrationId);
  });
}

const SWEEP_MS = 5_000;

/** Fails STARTING/RUNNING/CANCELLING migrations whose source agent has been away longer than allowed. */
export async function sweepLostAgents(app: App, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - app.config.agentLostAfterSeconds * 1000);
  const lost = await app.db.prisma.migration.findMany({
    where: {
      state: { in: SLOT_STATES },
      // Away = not live (disconnected, or its replica stopped refreshing) and last seen before the cutoff.
      sourceHost: {
        agentLastSeenAt: { lt: cutoff },
        OR: [{ agentConnected: false }, { agentLastSeenAt: { lt: new Date(now - STALE_AFTER_MS) } }],
      },
    },
    select: { id: true, sourceHost: { select: { name: true } } },
  });
  let failed = 0;
  for (const m of lost) {
    const ended = await failLost(app, m.id, {
      code: "AGENT_LOST",
      message: `The agent of ${m.sourceHost.name} was away for more than ${app.config.agentLostAfterSeconds} s during the migration.`,
      eventId: null,
    });
    if (ended) failed++;
  }
  return failed;
}

export function startLostAgentSweeper(app: App): { stop(): void } {
  const timer = setInterval(() => {
    void app.inflight
      .track(sweepLostAgents(app))
      .catch((error) => app.logger.error({ err: error }, "sweep failed"));
  }, SWEEP_MS);
  return { stop: () => clearInterval(timer) };
}
