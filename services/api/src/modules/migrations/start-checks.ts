// The host-state checks a queued move re-runs just before it starts (inside the scheduler's
// transaction): what preflight said when the move was requested may no longer hold.
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import type { Failure } from "./machine.ts";
import { type HostView, startChecks } from "./preflight.ts";

/** The move waits in the queue: an agent taking part is not connected now (it may be reconnecting). */
export const WAIT = "WAIT" as const;

/**
 * The first host-state check (preflight.ts startChecks) that now fails, as the migration's failure;
 * WAIT when an agent taking part is away (an absence is not a reason to fail a move nobody started:
 * an API restart or a reconnect makes agents look away for a moment); null when the move may start.
 */
export async function startCheckFailure(
  tx: Prisma.TransactionClient,
  m: Migration,
  hostView: (hostId: string) => Promise<HostView | null> = (id) => loadHostView(tx, id),
): Promise<Failure | typeof WAIT | null> {
  const vm = m.vmRowId ? await loadVm(tx, m.vmRowId) : null;
  const source = await hostView(m.sourceHostId);
  const dest = m.destinationHostId ? await hostView(m.destinationHostId) : null;
  if (!vm || !source || (m.destinationHostId && !dest)) {
    return {
      code: "VM_NOT_FOUND",
      message: `${m.vmName} or one of its hosts is no longer in the inventory.`,
      eventId: null,
    };
  }
  const vhds = (m.vhdMoves ?? []) as { sourcePath: string; destinationPath: string }[];
  const report = startChecks(vm.view, source, dest, {
    kind: m.kind,
    destinationStoragePath: m.destinationStoragePath,
    vhdDestinations: vhds.map((v) => v.destinationPath),
    vhdSources: vhds.map((v) => v.sourcePath),
  });
  const failing = report.checks.filter((c) => c.status === "FAIL");
  if (failing.some((c) => c.code === "AGENT_LOST")) return WAIT;
  const failed = failing[0];
  if (!failed) return null;
  return {
    code: failed.code ?? "PRECONDITION_FAILED",
    message: failed.message,
    eventId: null,
    remedy: failed.remedy,
    diagnosis: `A check that depends on host state failed just before the move would have started (${failed.name}); nothing was sent to Hyper-V.`,
  };
}
