// Reports the host's inventory: on every connect (forced), on a timer when it changed (not while
// migration jobs are being polled), when Hyper-V logged an event, and after a change the agent made. A report is remembered as sent only when the API accepted it: a refused or
// undelivered report is sent again next time.

import { createHash } from "node:crypto";
import { inventorySchema, toWire } from "@ferry/protocol";
import type { Inventory } from "../backends/types.ts";

export interface InventoryReporterOptions {
  getInventory: () => Promise<Inventory>;
  /**
   * Sends the report; rejects when not connected or refused (RefusedError). Resolves false when the
   * API applied it only in part (VMs another host holds): then it is sent again next time.
   */
  send: (wire: unknown) => Promise<boolean>;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /**
   * True while something more urgent shares the PowerShell session (migration jobs being polled):
   * a periodic (not forced) report waits, so a 200-VM inventory read never delays a job poll.
   */
  busy?: () => boolean;
}

export function createInventoryReporter(options: InventoryReporterOptions) {
  let lastReportedHash: string | null = null;
  let reporting: Promise<void> | null = null;

  async function report(force = false): Promise<void> {
    if (reporting && !force) return reporting;
    if (!force && options.busy?.()) return;
    // A forced report (after a change) must read the inventory after the change, not join an older read.
    while (reporting) await reporting;
    reporting = (async () => {
      try {
        const wire = toWire(await options.getInventory());
        const hash = createHash("sha256").update(JSON.stringify(wire)).digest("hex");
        if (!force && hash === lastReportedHash) return;
        // The same schema the API applies: a report it would refuse is not sent (and not remembered).
        const checked = inventorySchema.safeParse(wire);
        if (!checked.success) {
          const issue = checked.error.issues[0];
          throw new Error(
            `inventory does not match the protocol: ${issue?.path.join(".")}: ${issue?.message}`,
          );
        }
        const complete = await options.send(wire);
        lastReportedHash = complete ? hash : null;
      } catch (error) {
        options.log("inventory report failed", { error: (error as Error).message });
      } finally {
        reporting = null;
      }
    })();
    return reporting;
  }

  return {
    report,
    /** Waits for a report in progress. */
    idle: async () => {
      await reporting;
    },
  };
}
