// The configuration domain's reactions to agents, registered by the composition root (app.ts):
// drift is recomputed after inventory reports (a batch of hosts at a time, after the answers) and for
// every profiled host at start, and every answer to a configuration command is announced to
// hostOperationChanged subscribers.
import type { App } from "../../context.ts";
import { onCommandCompleted } from "../agents/commands.ts";
import { onInventoryIngested } from "../agents/inventory.ts";
import { recomputeDrift } from "./drift.ts";
import { CONFIG_COMMAND_TYPES } from "./service.ts";

export function registerConfigurationReactions(app: App): void {
  // One statement reads the batch's profiled hosts; a batch of every host is the start-up catch-up.
  onInventoryIngested(app, (a, batch) =>
    recomputeDrift(a, {
      ...(batch.hostIds ? { id: { in: batch.hostIds } } : {}),
      profileId: { not: null },
    }),
  );
  for (const type of CONFIG_COMMAND_TYPES) {
    onCommandCompleted(app, type, async (a, command) => {
      a.pubsub.publish("hostOperationChanged", { operationId: command.id, hostId: command.hostId });
    });
  }
}
