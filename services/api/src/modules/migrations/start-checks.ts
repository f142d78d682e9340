// The host-state checks a queued move re-runs just before it starts (inside the scheduler's
// transaction): what preflight said when the move was requested may no longer hold.
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import type { Failure } from "./machine.ts";
import { type PreflightCheck, runPreflight } from "./preflight.ts";

/** Checks that depend on host state (not on the request's shape, nor on Compare-VM). */
const HOST_STATE =
  /^(agent |migration enabled|authentication|domain|switches|memory|processor|network|migration network|configuration version)/;

/** The failure code Hyper-V would give for a failed check (until preflight gives each check its code). */
function codeOf(check: PreflightCheck): string {
  const own = (check as { code?: string | null }).code;
  if (own) return own;
  if (check.name.startsWith("agent ")) return "AGENT_LOST";
  if (check.name.startsWith("migration enabled")) return "MIGRATION_DISABLED";
  if (check.name === "authentication" || check.name === "domain") return "AUTHENTICATION_FAILED";
  if (check.name === "switches") return "SWITCH_NOT_FOUND";
  if (check.name === "memory") return "INSUFFICIENT_MEMORY";
  if (check.name === "processor") return "PROCESSOR_INCOMPATIBLE";
  if (check.name === "configuration version") return "VERSION_INCOMPATIBLE";
  return "PRECONDITION_FAILED";
}

/** The first host-state check that now fails, as the migration's failure; null when the move may start. */
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
  const report = runPreflight(
    vm.view,
    source,
    dest,
    {
      kind: m.kind,
      destinationStoragePath: m.destinationStoragePath,
      vhdDestinations: vhds.map((v) => v.destinationPath),
      vhdSources: vhds.map((v) => v.sourcePath),
    },
    null,
  );
  const failed = report.checks.find((c) => c.status === "FAIL" && HOST_STATE.test(c.name));
  if (!failed) return null;
  return {
    code: codeOf(failed),
    message: failed.message,
    eventId: null,
    remedy: failed.remedy,
    diagnosis: `A check that depends on host state failed just before the move would have started (${failed.name}); nothing was sent to Hyper-V.`,
  };
}
