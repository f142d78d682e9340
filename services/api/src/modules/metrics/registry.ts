// Ferry's Prometheus metrics (ferry_*), one registry per App (several Apps in one test process do not
// share counters). Low cardinality by design: labels are kinds, states, command types and outcomes,
// never VM names or ids. Two sources:
// - events of this replica (counters, histograms): moves that ended here, commands answered here,
//   inventory reports ingested here, audit writes that failed here. Sum them across replicas.
// - the database (gauges read at scrape time: queued/running moves, maintenance drains): every
//   replica reports the same fleet-wide value; aggregate them with max(), not sum() (dashboards/ferry.json does).
//   ferry_agents_connected is per replica (the agents whose session this replica holds): sum() is the fleet.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { App } from "../../context.ts";

const DURATION_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];
const FAST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface FerryMetrics {
  registry: Registry;
  migrationsEnded: Counter<"kind" | "state">;
  migrationCorrections: Counter<"kind" | "from" | "to">;
  migrationDuration: Histogram<"kind" | "state">;
  migrationQueueWait: Histogram<"kind">;
  commandRoundTrip: Histogram<"type" | "status">;
  inventoryReports: Counter<"outcome">;
  inventoryIngest: Histogram;
  inventoryReactions: Counter;
  inventoryReactionBatch: Histogram;
  readinessSweep: Histogram;
  readinessChanges: Counter;
  auditWriteFailures: Counter;
  webhookDeliveries: Counter<"outcome">;
  webhookDeliveryDuration: Histogram;
  schedulerStarts: Counter<"outcome">;
  schedulerRound: Histogram;
}

function create(app: App): FerryMetrics {
  const registry = new Registry();
  const db = app.db.prisma;
  const metrics: FerryMetrics = {
    registry,
    migrationsEnded: new Counter({
      name: "ferry_migrations_total",
      help: "Migrations that ended on this replica, by kind and the state they ended in (SUCCEEDED, FAILED, CANCELLED); each migration counts once, at its first end (a later correction is counted in ferry_migration_corrections_total).",
      labelNames: ["kind", "state"],
      registers: [registry],
    }),
    migrationCorrections: new Counter({
      name: "ferry_migration_corrections_total",
      help: "Migrations whose recorded end changed on this replica after they had ended (a provisional FAILED/CANCELLED corrected by the real outcome), by kind, the earlier end (from) and the new one (to). Final states = ferry_migrations_total + corrections to it - corrections from it.",
      labelNames: ["kind", "from", "to"],
      registers: [registry],
    }),
    migrationDuration: new Histogram({
      name: "ferry_migration_duration_seconds",
      help: "Time from start (STARTING) to the end of migrations that ended on this replica.",
      labelNames: ["kind", "state"],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    migrationQueueWait: new Histogram({
      name: "ferry_migration_queue_wait_seconds",
      help: "Time migrations waited QUEUED before they started (observed when they end, on this replica).",
      labelNames: ["kind"],
      buckets: [0.5, 1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600],
      registers: [registry],
    }),
    commandRoundTrip: new Histogram({
      name: "ferry_agent_command_round_trip_seconds",
      help: "Agent commands answered on this replica: time from the command's creation to its answer, by type and status.",
      labelNames: ["type", "status"],
      buckets: FAST_BUCKETS,
      registers: [registry],
    }),
    inventoryReports: new Counter({
      name: "ferry_inventory_reports_total",
      help: "Inventory reports received by this replica (outcome: ok or error).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    inventoryIngest: new Histogram({
      name: "ferry_inventory_ingest_seconds",
      help: "Time to validate and store one inventory report on this replica.",
      buckets: FAST_BUCKETS,
      registers: [registry],
    }),
    inventoryReactions: new Counter({
      name: "ferry_inventory_reactions_total",
      help: "Hosts whose inventory reactions (drift, readiness) ran on this replica after their reports were answered (or their agent connected or left), once per batch they were in: several reports of one host within a batch count once.",
      registers: [registry],
    }),
    inventoryReactionBatch: new Histogram({
      name: "ferry_inventory_reaction_batch_seconds",
      help: "Time of one batch of inventory reactions on this replica (one drift recompute and at most one readiness evaluation for every host of the batch); _count is the number of batches.",
      buckets: FAST_BUCKETS,
      registers: [registry],
    }),
    readinessSweep: new Histogram({
      name: "ferry_readiness_sweep_seconds",
      help: "Time of one sweep of every host's readiness on this replica (every FERRY_READINESS_SWEEP_SECONDS, or less often when a sweep takes long); _count is the number of sweeps.",
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    readinessChanges: new Counter({
      name: "ferry_readiness_changes_total",
      help: "Hosts whose readiness summary (check names and statuses) changed, seen by this replica's sweep or its reactions to reports: one HOST_READINESS_CHANGED webhook event each.",
      registers: [registry],
    }),
    auditWriteFailures: new Counter({
      name: "ferry_audit_write_failures_total",
      help: "Audit entries this replica could not write at the first try (retried or refused with the change).",
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: "ferry_webhook_deliveries_total",
      help: "Webhook delivery attempts by this replica (outcome: delivered, retry, failed).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    webhookDeliveryDuration: new Histogram({
      name: "ferry_webhook_delivery_seconds",
      help: "Time of one webhook delivery attempt (request and answer).",
      buckets: FAST_BUCKETS,
      registers: [registry],
    }),
    schedulerStarts: new Counter({
      name: "ferry_scheduler_starts_total",
      help: "Queued moves the scheduler of this replica took out of the queue (outcome: started, or refused when a start check failed: FAILED, nothing sent to Hyper-V).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    schedulerRound: new Histogram({
      name: "ferry_scheduler_round_seconds",
      help: "Time of one scheduler round on this replica (one transaction starting at most FERRY_SCHEDULER_STARTS_PER_ROUND moves; a pass over a longer due queue runs several).",
      buckets: FAST_BUCKETS,
      registers: [registry],
    }),
  };
  for (const outcome of ["started", "refused"]) metrics.schedulerStarts.labels(outcome).inc(0);
  for (const kind of ["LIVE", "LIVE_WITH_STORAGE", "STORAGE"]) {
    for (const state of ["SUCCEEDED", "FAILED", "CANCELLED"])
      metrics.migrationsEnded.labels(kind, state).inc(0);
  }
  metrics.auditWriteFailures.inc(0);
  metrics.inventoryReactions.inc(0);
  new Gauge({
    name: "ferry_migrations_queued",
    help: "Migrations QUEUED now (from the database: the same on every replica; aggregate with max).",
    registers: [registry],
    async collect() {
      this.set(await db.migration.count({ where: { state: "QUEUED" } }));
    },
  });
  new Gauge({
    name: "ferry_migrations_running",
    help: "Migrations STARTING, RUNNING or CANCELLING now (from the database: the same on every replica; aggregate with max).",
    registers: [registry],
    async collect() {
      this.set(await db.migration.count({ where: { state: { in: ["STARTING", "RUNNING", "CANCELLING"] } } }));
    },
  });
  new Gauge({
    name: "ferry_agents_connected",
    help: "Agents connected to this replica now (sum over replicas = the fleet).",
    registers: [registry],
    async collect() {
      this.set(
        await db.host.count({
          where: {
            agentConnected: true,
            agentReplica: { startsWith: `${app.replicaId}/` },
            agentLastSeenAt: { gt: new Date(Date.now() - 60_000) },
          },
        }),
      );
    },
  });
  new Gauge({
    name: "ferry_maintenance_drains_in_progress",
    help: "Host maintenances DRAINING now (from the database: the same on every replica; aggregate with max).",
    registers: [registry],
    async collect() {
      // The Maintenance table comes with the maintenance module; until it exists this reports 0.
      const rows = await db
        .$queryRawUnsafe<{ n: bigint }[]>(
          `SELECT count(*) AS n FROM "Maintenance" WHERE "state"::text = 'DRAINING'`,
        )
        .catch(() => [{ n: 0n }]);
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
  return metrics;
}

const byApp = new WeakMap<App, FerryMetrics>();

/** The App's metrics (created on first use). */
export function metricsOf(app: App): FerryMetrics {
  let metrics = byApp.get(app);
  if (!metrics) {
    metrics = create(app);
    byApp.set(app, metrics);
  }
  return metrics;
}
