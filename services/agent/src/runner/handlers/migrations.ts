// START_MOVE, CANCEL_MOVE and COMPARE_VM: the migration commands of the API's scheduler.
import { HyperVError, type VhdMove } from "../../backends/types.ts";
import type { JobTracker } from "../../jobs/tracker.ts";
import type { HandlerContext } from "./index.ts";

interface StartMove {
  migrationId: string;
  kind: "LIVE" | "LIVE_WITH_STORAGE" | "STORAGE";
  vmId: string;
  destinationHost: string | null;
  includeStorage: boolean;
  destinationStoragePath: string | null;
  vhds: VhdMove[];
}

function str(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0)
    throw new HyperVError("INVALID_PARAMETER", `${name} is required`);
  return value;
}

export function migrationHandlers(ctx: HandlerContext & { jobs: JobTracker }) {
  return {
    START_MOVE: async (payload: Record<string, unknown>) => {
      const p = payload as unknown as StartMove;
      const migrationId = str(p.migrationId, "migrationId");
      const known = ctx.jobs.get(migrationId);
      // Redelivered after a crash: never start twice. Follow what Hyper-V is already doing.
      if (known?.jobId) return { jobId: known.jobId };
      if (known) {
        const adopted = await ctx.jobs.adopt(migrationId);
        if (adopted) return { jobId: adopted };
      }
      ctx.jobs.begin(migrationId, str(p.vmId, "vmId"));
      try {
        const status =
          p.kind === "STORAGE"
            ? await ctx.backend.startMoveStorage({
                vmId: p.vmId,
                destinationStoragePath: p.destinationStoragePath,
                vhds: p.vhds?.length ? p.vhds : null,
              })
            : await ctx.backend.startMoveVm({
                vmId: p.vmId,
                destinationHost: str(p.destinationHost, "destinationHost"),
                includeStorage: p.kind === "LIVE_WITH_STORAGE",
                destinationStoragePath: p.destinationStoragePath,
              });
        await ctx.jobs.attach(migrationId, status.jobId);
        return { jobId: status.jobId };
      } catch (error) {
        ctx.jobs.forget(migrationId);
        throw error;
      }
    },
    CANCEL_MOVE: async (payload: Record<string, unknown>) => {
      const cancelled = await ctx.jobs.requestCancel(str(payload.migrationId, "migrationId"));
      // Unknown here: the job already ended and was reported; the API keeps that outcome.
      return { requested: cancelled };
    },
    COMPARE_VM: async (payload: Record<string, unknown>) => ({
      issues: await ctx.backend.compareVm(
        str(payload.vmId, "vmId"),
        str(payload.destinationHost, "destinationHost"),
      ),
    }),
  };
}
