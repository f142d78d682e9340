// Command handlers by command type. Each domain adds its own file and spreads it in here; the
// Handlers type makes a missing command type a compile error.
import type { AgentCommand, CommandPayload, CommandResult, CommandType } from "@ferry/protocol";
import { configurationHandlers } from "./configuration.ts";
import type { HandlerContext } from "./context.ts";
import { inventoryHandlers } from "./inventory.ts";
import { migrationHandlers } from "./migrations.ts";
import { powerHandlers } from "./power.ts";

export type { HandlerContext } from "./context.ts";

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
    ...powerHandlers(ctx),
  };
}
