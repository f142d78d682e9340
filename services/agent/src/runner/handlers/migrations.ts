// START_MOVE, CANCEL_MOVE and COMPARE_VM: the migration commands of the API's scheduler.
import type { AgentCommand, CommandPayload } from "@ferry/protocol";
import { HyperVError } from "../../backends/types.ts";
import { failpoint } from "../../failpoints.ts";
import { CommandRefusedError } from "../errors.ts";
import type { HandlerContext } from "./context.ts";

const under = (path: string, dir: string) => {
  const p = path.toLowerCase();
  const d = dir.toLowerCase().replace(/\\+$/, "");
  return p === d || p.startsWith(`${d}\\`);
};

export function migrationHandlers(ctx: HandlerContext) {
  /**
   * Whether this host's Hyper-V shows the move as done: a live move's VM is no longer here; a
   * storage move's files are at their destination.
   */
  async function movedAway(p: CommandPayload<"START_MOVE">): Promise<boolean> {
    const vm = (await ctx.backend.getInventory()).vms.find(
      (v) => v.vmId.toLowerCase() === p.vmId.toLowerCase(),
    );
    if (p.kind !== "STORAGE") return !vm;
    if (!vm) return false;
    if (p.destinationStoragePath) return under(vm.path, p.destinationStoragePath);
    const disks = new Set(vm.hardDrives.map((d) => d.path.toLowerCase()));
    return p.vhds.length > 0 && p.vhds.every((v) => disks.has(v.destinationPath.toLowerCase()));
  }

  return {
    START_MOVE: async (p: CommandPayload<"START_MOVE">, command?: Pick<AgentCommand, "requestId">) => {
      const migrationId = p.migrationId;
      const known = ctx.jobs.get(migrationId);
      // Redelivered after a crash: never start twice. Follow what Hyper-V did or is doing.
      if (known?.jobId) return { jobId: known.jobId, adopted: true };
      if (known) {
        const adopted = await ctx.jobs.adopt(migrationId, () => movedAway(p));
        if (adopted) return { jobId: adopted.jobId, adopted: true };
      }
      // The fence: only a migration still expected to start (STARTING, or RUNNING claimed by us
      // before a crash) may reach Hyper-V. A cancelled or failed one never does.
      const claim = await ctx.claimMove(migrationId);
      if (!claim.claimed) {
        throw new CommandRefusedError(
          "COMMAND_FENCED",
          `migration ${migrationId} is ${claim.state ?? "unknown"}, no longer expected to start; Move-VM not called`,
        );
      }
      ctx.jobs.begin(migrationId, p.vmId, command?.requestId ?? null);
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
        failpoint("move-started");
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
    /**
     * The API asks about a quiet running move. Followed (or being started): following. Unknown here:
     * adopt what Hyper-V runs or finished for it (then the tracker reports it); otherwise not
     * following, and nothing is started.
     */
    JOB_STATUS: async (p: CommandPayload<"JOB_STATUS">, command?: Pick<AgentCommand, "requestId">) => {
      const known = ctx.jobs.get(p.migrationId);
      if (known) return { following: true, jobId: known.jobId };
      ctx.jobs.begin(p.migrationId, p.vmId, command?.requestId ?? null);
      const adopted = await ctx.jobs
        .adopt(p.migrationId, () => movedAway(p))
        .catch((error: unknown) => {
          ctx.jobs.forget(p.migrationId);
          throw error;
        });
      if (adopted) return { following: true, jobId: adopted.jobId };
      ctx.jobs.forget(p.migrationId);
      return { following: false, jobId: null };
    },
    COMPARE_VM: async (p: CommandPayload<"COMPARE_VM">) => ({
      issues: await ctx.backend.compareVm(p.vmId, p.destinationHost),
    }),
  };
}
