// What this replica observes, recorded into its ferry_* metrics (registered by app.ts).
import type { App } from "../../context.ts";
import type { DeliveryOutcome } from "../webhooks/worker.ts";
import { metricsOf } from "./registry.ts";

const seconds = (from: Date | null, to: Date | null) =>
  from && to ? Math.max(0, (to.getTime() - from.getTime()) / 1000) : null;

export function registerMetricsReactions(app: App): void {
  const m = metricsOf(app);
  app.hooks.on("migrationEnded", (_a, _id, end) => {
    // Counted once, at its first end; a later end of the same migration is a correction. Everything
    // from the end as committed (the row may have been corrected or reopened since).
    if (end.correctedFrom) {
      m.migrationCorrections.labels(end.kind, end.correctedFrom, end.state).inc();
      return;
    }
    m.migrationsEnded.labels(end.kind, end.state).inc();
    const duration = seconds(end.startedAt, end.finishedAt);
    if (duration !== null) m.migrationDuration.labels(end.kind, end.state).observe(duration);
    const wait = seconds(end.requestedAt, end.startedAt);
    if (wait !== null) m.migrationQueueWait.labels(end.kind).observe(wait);
  });
  app.hooks.on("commandCompleted", (_a, command) => {
    const rtt = seconds(command.createdAt, command.completedAt ?? new Date());
    if (rtt !== null) m.commandRoundTrip.labels(command.type, command.status).observe(rtt);
  });
  app.hooks.on("auditWriteFailed", () => m.auditWriteFailures.inc());
  app.hooks.on("inventoryReacted", (batch) => {
    m.inventoryReactions.inc(batch.hosts);
    m.inventoryReactionBatch.observe(batch.seconds);
  });
  app.hooks.on("readinessChecked", (check) => {
    m.readinessChanges.inc(check.changed);
    if (check.sweep) m.readinessSweep.observe(check.seconds);
  });
  app.hooks.on("schedulerRound", (round) => {
    m.schedulerStarts.labels("started").inc(round.started);
    m.schedulerStarts.labels("refused").inc(round.refused);
    m.schedulerRound.observe(round.seconds);
  });
}

/** The webhook worker's outcome callback (app.ts passes it). */
export function recordDelivery(app: App, outcome: DeliveryOutcome): void {
  const m = metricsOf(app);
  m.webhookDeliveries.labels(outcome.ok ? "delivered" : outcome.final ? "failed" : "retry").inc();
  m.webhookDeliveryDuration.observe(outcome.ms / 1000);
}
