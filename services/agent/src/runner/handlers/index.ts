// Command handlers by command type. Each domain adds its own file and spreads it in here; the
// Handlers type makes a missing command type a compile error.
import type { AgentCommand, CommandPayload, CommandResult, CommandType } from "@ferry/protocol";
import type { HyperVBackend } from "../../backends/types.ts";
import type { JobTracker } from "../../jobs/tracker.ts";
import type { StateStore } from "../../state/store.ts";
import { configurationHandlers } from "./configuration.ts";
import { inventoryHandlers } from "./inventory.ts";
import { migrationHandlers } from "./migrations.ts";

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

/** One handler per command type: the protocol's payload in, the protocol's result out. */
export type Handlers = {
  [T in CommandType]: (
    payload: CommandPayload<T>,
    command: Extract<AgentCommand, { type: T }>,
  ) => Promise<CommandResult<T>>;
};

export function createHandlers(ctx: HandlerContext): Handlers {
  return {
    ...inventoryHandlers(ctx),
    ...migrationHandlers(ctx),
    ...configurationHandlers(ctx),
  };
}
