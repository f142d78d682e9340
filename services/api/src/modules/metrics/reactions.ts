// What this replica observes, recorded into its ferry_* metrics (registered by app.ts).
import type { App } from "../../context.ts";
import type { DeliveryOutcome } from "../webhooks/worker.ts";
import { metricsOf } from "./registry.ts";

const seconds = (from: Date | null, to: Date | null) =>
  from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null;

export function registerMetricsReactions(app: App): void {
  const m = metricsOf(app);
  app.hooks.on("migrationEnded", async (a, id) => {
    const row = await a.db.prisma.migration.findUnique({
      where: { id },
      select: { kind: true, state: true, requestedAt: true, startedAt: true, finishedAt: true },
    });
    if (!row) return;
    m.migrationsEnded.labels(row.kind, row.state).inc();
    const duration = seconds(row.startedAt, row.finishedAt);
    if (duration !== null) m.migrationDuration.labels(row.kind, row.state).observe(duration);
    const wait = seconds(row.requestedAt, row.startedAt);
    if (wait !== null) m.migrationQueueWait.labels(row.kind).observe(wait);
  });
  app.hooks.on("commandCompleted", (_a, command) => {
    const rtt = seconds(command.createdAt, command.completedAt ?? new Date());
    if (rtt !== null) m.commandRoundTrip.labels(command.type, command.status).observe(rtt);
  });
  app.hooks.on("auditWriteFailed", () => m.auditWriteFailures.inc());
}

/** The webhook worker's outcome callback (app.ts passes it). */
export function recordDelivery(app: App, outcome: DeliveryOutcome): void {
  const m = metricsOf(app);
  m.webhookDeliveries.labels(outcome.ok ? "delivered" : outcome.final ? "failed" : "retry").inc();
  m.webhookDeliveryDuration.observe(outcome.ms / 1000);
}
