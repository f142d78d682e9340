// Host signals for webhooks (readiness changes): reactions, registered by the composition root (app.ts).
import type { App } from "../../context.ts";
import { onInventoryIngested } from "../agents/inventory.ts";
import { queueInventoryReactions } from "../agents/inventory-reactions.ts";
import { checkReadiness } from "./readiness.ts";

export function registerWebhookReactions(app: App): void {
  // Readiness reads none of the telemetry (CPU, uptime, memory in use) that changes on every report:
  // only a report whose shape changed can change it. One evaluation per batch of reports (a burst of
  // 2,000 first reports is a few evaluations); the once-a-minute sweep checks every host anyway.
  onInventoryIngested(app, async (a, batch) => {
    if (batch.significant.length > 0) await checkReadiness(a, batch.significant);
  });
  // The agentConnected readiness check follows the connection, in the same batches as the reports
  // (2,000 agents reconnecting at once would otherwise be 2,000 evaluations next to their reports).
  app.hooks.on("agentPresenceChanged", (a, hostId) => queueInventoryReactions(a, hostId, true));
}
