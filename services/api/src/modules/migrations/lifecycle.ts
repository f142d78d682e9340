// Reactions to agents' answers to migration commands (registered by app.ts through
// registerMigrationReactions), and the sweeper that fails migrations whose agent never came back.
// Every state change goes through machine.ts.
import type { App } from "../../context.ts";
import { commandCreateData, onCommandCompleted } from "../agents/commands.ts";
import { STALE_AFTER_MS } from "../agents/presence.ts";
import {
  failLost,
  reconcileCancel,
  reconcileLostJob,
  recordStartAnswer,
  SLOT_STATES,
  startPayload,
} from "./machine.ts";

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

  /** JOB_STATUS of a quiet move: the connected agent follows no job and Hyper-V runs none. */
  onCommandCompleted(app, "JOB_STATUS", async (app, command) => {
    if (!command.migrationId || command.status !== "SUCCEEDED") return;
    if ((command.result as { following?: boolean } | null)?.following === false)
      await reconcileLostJob(app, command.migrationId);
  });
}

/**
 * RUNNING/CANCELLING moves whose source agent is connected and live but that have had no job report
 * (no timeline sample) for FERRY_JOB_QUIET_AFTER_SECONDS: the agent is asked whether it follows the
 * job (JOB_STATUS, at most once per quiet period). A job the agent follows reports every second, so
 * a quiet move is one nobody follows; the answer reconciles it (lifecycle reaction above).
 */
export async function sweepQuietJobs(app: App, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - app.config.jobQuietAfterSeconds * 1000);
  const prisma = app.db.prisma;
  const quiet = await prisma.migration.findMany({
    where: {
      state: { in: ["RUNNING", "CANCELLING"] },
      sourceHost: { agentConnected: true, agentLastSeenAt: { gte: new Date(now - STALE_AFTER_MS) } },
      samples: { none: { at: { gte: cutoff } } },
      commands: { none: { type: "JOB_STATUS", createdAt: { gte: cutoff } } },
    },
    include: { destinationHost: { select: { name: true } } },
  });
  for (const m of quiet) {
    const command = await prisma.agentCommand.create({
      data: commandCreateData({
        hostId: m.sourceHostId,
        type: "JOB_STATUS",
        payload: startPayload(m, m.destinationHost?.name ?? null),
        requestedBy: "ferry",
        migrationId: m.id,
        requestId: m.requestId,
      }),
    });
    app.pubsub.publish("agentCommand", m.sourceHostId, { commandId: command.id });
  }
  return quiet.length;
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
      .track(sweepLostAgents(app).then(() => sweepQuietJobs(app)))
      .catch((error) => app.logger.error({ err: error }, "sweep failed"));
  }, SWEEP_MS);
  return { stop: () => clearInterval(timer) };
}
