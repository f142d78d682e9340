// START_MOVE, CANCEL_MOVE and COMPARE_VM: the migration commands of the API's scheduler.
import type { CommandPayload } from "@ferry/protocol";
import { HyperVError } from "../../backends/types.ts";
import type { HandlerContext } from "./index.ts";

export function migrationHandlers(ctx: HandlerContext) {
  return {
    START_MOVE: async (p: CommandPayload<"START_MOVE">) => {
      const migrationId = p.migrationId;
      const known = ctx.jobs.get(migrationId);
      // Redelivered after a crash: never start twice. Follow what Hyper-V is already doing.
      if (known?.jobId) return { jobId: known.jobId, adopted: true };
      if (known) {
        const adopted = await ctx.jobs.adopt(migrationId);
        if (adopted) return { jobId: adopted, adopted: true };
      }
      ctx.jobs.begin(migrationId, p.vmId);
      try {
        let status: Awaited<ReturnType<typeof ctx.backend.startMoveVm>>;
        if (p.kind === "STORAGE") {
          status = await ctx.backend.startMoveStorage({
            vmId: p.vmId,
            destinationStoragePath: p.destinationStoragePath,
            vhds: p.vhds.length ? p.vhds : null,
          });
        } else {
          if (!p.destinationHost) throw new HyperVError("INVALID_PARAMETER", "destinationHost is required");
          status = await ctx.backend.startMoveVm({
            vmId: p.vmId,
            destinationHost: p.destinationHost,
            includeStorage: p.kind === "LIVE_WITH_STORAGE",
            destinationStoragePath: p.destinationStoragePath,
          });
        }
        await ctx.jobs.attach(migrationId, status.jobId);
        return { jobId: status.jobId, adopted: false };
      } catch (error) {
        ctx.jobs.forget(migrationId);
        throw error;
      }
    },
    CANCEL_MOVE: async (p: CommandPayload<"CANCEL_MOVE">) => {
      const cancelled = await ctx.jobs.requestCancel(p.migrationId);
      // Unknown here: the job already ended and was reported; the API keeps that outcome.
      return { requested: cancelled };
    },
    COMPARE_VM: async (p: CommandPayload<"COMPARE_VM">) => ({
      issues: await ctx.backend.compareVm(p.vmId, p.destinationHost),
    }),
  };
}
