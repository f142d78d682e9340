import type { HandlerContext } from "./context.ts";

export function inventoryHandlers(ctx: HandlerContext) {
  return {
    /** Report the inventory now. */
    REFRESH_INVENTORY: async () => {
      await ctx.reportInventory();
      return {};
    },
  };
}
