// Host signals for webhooks (readiness changes): reactions, registered by the composition root (app.ts).
import type { App } from "../../context.ts";
import { onInventoryIngested } from "../agents/inventory.ts";
import { checkReadiness } from "./readiness.ts";

export function registerWebhookReactions(app: App): void {
  // Readiness reads none of the telemetry (CPU, uptime, memory in use) that changes on every report:
  // only a report whose shape changed can change it. Presence changes have their own reaction below,
  // and the once-a-minute sweep checks every host anyway.
  onInventoryIngested(app, async (a, hostId, significant) => {
    if (significant) await checkReadiness(a, [hostId]);
  });
  // The agentConnected readiness check follows the connection.
  app.hooks.on("agentPresenceChanged", (a, hostId) =>
    a.inflight.track(checkReadiness(a, [hostId])).then(() => {}),
  );
}
