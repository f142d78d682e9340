// What a command handler may use; its own file so that handlers and the index do not import each other.
import type { HyperVBackend } from "../../backends/types.ts";
import type { JobTracker } from "../../jobs/tracker.ts";
import type { StateStore } from "../../state/store.ts";

/** What a handler may use. */
export interface HandlerContext {
  backend: HyperVBackend;
  store: StateStore;
  /** Reports the host's inventory now (forced), so the API sees a change at once. */
  reportInventory: () => Promise<void>;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /** Hyper-V jobs this agent follows (moves). */
  jobs: JobTracker;
  /**
   * Asks the API to move the migration STARTING -> RUNNING (agentClaimMigration) right before Hyper-V
   * is asked to start it; false: the migration is no longer expected to start (cancelled, failed).
   */
  claimMove: (migrationId: string) => Promise<{ claimed: boolean; state: string | null }>;
}
