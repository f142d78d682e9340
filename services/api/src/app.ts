// The composition root: builds the App (database, pubsub, hooks, sockets) once, wires the domains'
// reactions to each other, and owns the one list of background workers with their start/stop order.
// Transports (HTTP, WebSocket) are built on top of it in server.ts.
import type { Config } from "./config.ts";
import type { App, AppEvents } from "./context.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { createHooks } from "./hooks.ts";
import { createInflight, withTimeout } from "./inflight.ts";
import type { Logger } from "./logger.ts";
import { createInventoryReactions } from "./modules/agents/inventory-reactions.ts";
import { deniedInput, recordDenied, targetOf } from "./modules/audit/denied.ts";
import { flushAuditOutbox } from "./modules/audit/service.ts";
import { registerConfigurationReactions } from "./modules/configuration/hooks.ts";
import { startMaintenanceWorker } from "./modules/maintenance/worker.ts";
import { recordDelivery, registerMetricsReactions } from "./modules/metrics/reactions.ts";
import { registerMigrationReactions, startLostAgentSweeper } from "./modules/migrations/lifecycle.ts";
import { startScheduler } from "./modules/migrations/scheduler.ts";
import { placementStartFailures } from "./modules/placement/start-check.ts";
import { startRetention } from "./modules/retention/worker.ts";
import { registerWebhookReactions } from "./modules/signals/reactions.ts";
import { startReadinessWatch } from "./modules/signals/readiness.ts";
import { startWebhookWorker } from "./modules/webhooks/worker.ts";
import { createAppPubSub } from "./pubsub.ts";
import { createSocketRegistry, type SocketRegistry } from "./security/sockets.ts";

/** A background loop of the API. Started after the server listens, stopped before the database closes. */
export interface Worker {
  name: string;
  start(): void;
  stop(): Promise<void>;
}

export interface Readiness {
  ready: boolean;
  /** Per dependency: "ok" or why not (e.g. "database: timeout after 2000 ms"). */
  checks: Record<string, string>;
}

export interface AppRoot {
  app: App;
  sockets: SocketRegistry;
  /** Starts every worker, in list order. */
  start(): void;
  /** Whether the database (and Redis when configured) answer now. */
  readiness(): Promise<Readiness>;
  /** Stops the workers (reverse order), lets tracked work finish (bounded), closes pubsub and database. */
  stop(): Promise<void>;
}

/** Reactions between domains, registered here and nowhere else (no listener is registered by an import). */
function registerReactions(app: App): void {
  registerMigrationReactions(app);
  registerConfigurationReactions(app);
  registerWebhookReactions(app);
  registerMetricsReactions(app);
  app.hooks.on("mutationDenied", (ctx, info, error) => {
    const input = deniedInput(info);
    recordDenied(ctx, {
      operation: info.fieldName,
      target: targetOf(input),
      input,
      errorCode: "FORBIDDEN",
      errorMessage: error.message,
    });
  });
}

function workersOf(app: App, sockets: SocketRegistry): Worker[] {
  let scheduler: ReturnType<typeof startScheduler> | null = null;
  let sweeper: ReturnType<typeof startLostAgentSweeper> | null = null;
  let retention: ReturnType<typeof startRetention> | null = null;
  let webhooks: ReturnType<typeof startWebhookWorker> | null = null;
  let readinessWatch: ReturnType<typeof startReadinessWatch> | null = null;
  let maintenance: ReturnType<typeof startMaintenanceWorker> | null = null;
  // Built now (reports are queued from the first request on), started with the others.
  const inventoryReactions = createInventoryReactions(app, app.config.inventoryReactionDelayMs);
  return [
    { name: "socket-sweep", start: () => sockets.start(), stop: () => sockets.stop() },
    {
      // Drift and readiness after inventory reports, in batches off the answer path; at start, every
      // profiled host's drift (a batch lost when the process died).
      name: "inventory-reactions",
      start: () => inventoryReactions.start(),
      stop: () => inventoryReactions.stop(),
    },
    {
      name: "scheduler",
      start: () => {
        // Placement's rules are re-run when a queued move starts (its destination may have changed since).
        scheduler = startScheduler(app, placementStartFailures);
      },
      stop: async () => void (await scheduler?.stop()),
    },
    {
      name: "lost-agent-sweeper",
      start: () => {
        sweeper = startLostAgentSweeper(app);
      },
      stop: async () => void sweeper?.stop(),
    },
    {
      // Drains and returns of hosts in maintenance (state in the database: resumes after a restart).
      name: "maintenance",
      start: () => {
        maintenance = startMaintenanceWorker(app);
      },
      stop: async () => void (await maintenance?.stop()),
    },
    {
      name: "retention",
      start: () => {
        retention = startRetention(app);
      },
      stop: async () => void (await retention?.stop()),
    },
    {
      name: "webhook-delivery",
      start: () => {
        webhooks = startWebhookWorker(app, (outcome) => recordDelivery(app, outcome));
      },
      stop: async () => void (await webhooks?.stop()),
    },
    {
      name: "webhook-readiness-watch",
      start: () => {
        readinessWatch = startReadinessWatch(app);
      },
      stop: async () => readinessWatch?.stop(),
    },
  ];
}

export async function createApp(config: Config, logger: Logger): Promise<AppRoot> {
  const pubsub = createAppPubSub(config.redis, logger.child({ module: "pubsub" }));
  let db: Database;
  try {
    db = await openDatabase(config, logger);
  } catch (error) {
    await pubsub.close();
    throw error;
  }
  const inflight = createInflight();
  const hooks = createHooks<AppEvents>((err, name) => logger.error({ err, event: name }, "reaction failed"));
  const sockets = createSocketRegistry({ db, logger, inflight, pubsub: pubsub.pubsub }, config.socketSweepMs);
  const app: App = {
    config,
    logger,
    db,
    pubsub: pubsub.pubsub,
    replicaId: config.replicaId,
    inflight,
    hooks,
    sockets,
  };
  registerReactions(app);
  const workers = workersOf(app, sockets);
  let started: Worker[] = [];
  let stopped = false;
  return {
    app,
    sockets,
    start() {
      for (const worker of workers) {
        worker.start();
        started.push(worker);
      }
    },
    async readiness() {
      const timeoutMs = config.readinessTimeoutMs;
      const probe = async (name: string, check: () => Promise<unknown>) =>
        [
          name,
          await withTimeout(
            check().then(
              () => "ok",
              (err: Error) => `${name}: ${err.message}`,
            ),
            timeoutMs,
            `${name}: no answer within ${timeoutMs} ms`,
          ),
        ] as const;
      const checks = Object.fromEntries(
        await Promise.all([
          probe("database", () => db.ping()),
          ...(config.redis ? [probe("redis", () => pubsub.ping())] : []),
        ]),
      );
      return { ready: Object.values(checks).every((v) => v === "ok"), checks };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const worker of started.reverse()) {
        await worker.stop().catch((err) => logger.error({ err, worker: worker.name }, "worker stop failed"));
      }
      started = [];
      const left = await inflight.drain(10_000);
      if (left > 0) logger.warn({ left }, "stopping with requests still running");
      const unwritten = await flushAuditOutbox(app);
      if (unwritten > 0) logger.error({ unwritten }, "audit entries could not be written before shutdown");
      await pubsub.close();
      const closed = await withTimeout(
        db.close().then(() => true),
        10_000,
        false,
      );
      if (!closed) logger.warn("database did not close within 10 s");
    },
  };
}
