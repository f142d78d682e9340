// The host-state checks a queued move re-runs just before it starts (inside the scheduler's
// transaction): what preflight said when the move was requested may no longer hold.
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import type { Failure } from "./machine.ts";
import { startChecks } from "./preflight.ts";

/** The first host-state check (preflight.ts startChecks) that now fails, as the migration's failure; null when the move may start. */
export async function startCheckFailure(tx: Prisma.TransactionClient, m: Migration): Promise<Failure | null> {
  const vm = m.vmRowId ? await loadVm(tx, m.vmRowId) : null;
  const source = await loadHostView(tx, m.sourceHostId);
  const dest = m.destinationHostId ? await loadHostView(tx, m.destinationHostId) : null;
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
  const failed = report.checks.find((c) => c.status === "FAIL");
  if (!failed) return null;
  return {
    code: failed.code ?? "PRECONDITION_FAILED",
    message: failed.message,
    eventId: null,
    remedy: failed.remedy,
    diagnosis: `A check that depends on host state failed just before the move would have started (${failed.name}); nothing was sent to Hyper-V.`,
  };
}
