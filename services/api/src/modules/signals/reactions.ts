// Host signals for webhooks (readiness changes): reactions, registered by the composition root (app.ts).
import type { App } from "../../context.ts";
import { onInventoryIngested } from "../agents/inventory.ts";
import { checkReadiness } from "./readiness.ts";

export function registerWebhookReactions(app: App): void {
  onInventoryIngested(app, async (a, hostId) => void (await checkReadiness(a, [hostId])));
  // The agentConnected readiness check follows the connection.
  app.hooks.on("agentPresenceChanged", (a, hostId) =>
    a.inflight.track(checkReadiness(a, [hostId])).then(() => {}),
  );
}
