// Placement's rules again when a queued move is about to start (the scheduler's start check): what
// held when it was queued (maybe hours before, notBefore) may not hold now. Its destination may have
// gone into maintenance, filled up or lost room above its reserve, or taken an anti-affinity peer of
// the VM. One rule, one function: the checks are scoreOption's, the ones placement used to choose.
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import type { Failure } from "../migrations/machine.ts";
import type { PreflightCheck } from "../migrations/preflight.ts";
import { loadFleet, loadPlannerVms } from "./load.ts";
import { commit, emptyLedger, type Ledger, PLACEMENT_CHECKS, scoreOption } from "./planner.ts";
import type { Fleet, PlacementRequest, PlannerVm } from "./types.ts";

type StartingMove = Pick<
  Migration,
  | "kind"
  | "sourceHostId"
  | "destinationHostId"
  | "destinationStoragePath"
  | "maintenanceId"
  | "placementReason"
>;

/**
 * The first placement check (maintenance, memory after moves in flight, memory reserve,
 * anti-affinity) that fails now for `move` of `vm`, or null. `fleet` is loadFleet(tx, { promised:
 * "in-flight" }): memory of moves already started there that its inventory cannot show yet. The
 * reserve fails a move placement chose (auto-placed, a maintenance's) and only warns for a
 * destination the caller chose, as when it was queued.
 */
export function placementStartFailure(
  fleet: Fleet,
  move: StartingMove,
  vm: PlannerVm,
  ledger: Ledger = emptyLedger(),
): PreflightCheck | null {
  if (move.kind === "STORAGE" || !move.destinationHostId) return null;
  const source = fleet.hosts.find((h) => h.view.id === move.sourceHostId);
  const dest = fleet.hosts.find((h) => h.view.id === move.destinationHostId);
  if (!source || !dest) return null; // the host-state checks report a host that left the inventory
  // The VM's own place in the anti-affinity view: where it is, not where this move takes it.
  const locations = new Map(fleet.locations);
  const where = [...(locations.get(vm.id) ?? [])];
  const own = where.lastIndexOf(dest.view.id);
  if (own > 0) where.splice(own, 1);
  locations.set(vm.id, where);
  const chosenByCaller = move.maintenanceId === null && move.placementReason === null;
  const request: PlacementRequest = {
    vm,
    destinationHostId: dest.view.id,
    includeStorage: move.kind === "LIVE_WITH_STORAGE",
    destinationStoragePath: move.destinationStoragePath,
  };
  const option = scoreOption(
    { ...fleet, locations, candidates: undefined },
    request,
    source,
    dest,
    ledger,
    chosenByCaller,
  );
  const failed = option.checks.find((c) => c.status === "FAIL" && PLACEMENT_CHECKS.has(c.name)) ?? null;
  // Moves starting in the same pass count against each other.
  if (!failed) commit(ledger, request, dest.view.id);
  return failed;
}

/**
 * The scheduler's placement start check (injected by app.ts: migrations cannot import placement):
 * for the moves about to start in one pass, in order, the failure of each that may not start now.
 */
export async function placementStartFailures(
  tx: Prisma.TransactionClient,
  moves: Migration[],
): Promise<Map<string, Failure>> {
  const out = new Map<string, Failure>();
  const relevant = moves.filter((m) => m.kind !== "STORAGE" && m.destinationHostId && m.vmRowId);
  if (relevant.length === 0) return out;
  // The moves' own hosts: what their checks read (a round of 50 moves, not the whole fleet's rows).
  const hostIds = [...new Set(relevant.flatMap((m) => [m.sourceHostId, m.destinationHostId!]))];
  const fleet = await loadFleet(tx, { promised: "in-flight", hostIds });
  const vms = new Map(
    (await loadPlannerVms(tx, { id: { in: relevant.map((m) => m.vmRowId!) } })).map((v) => [v.id, v]),
  );
  const ledger = emptyLedger();
  for (const m of relevant) {
    const vm = vms.get(m.vmRowId!);
    if (!vm) continue;
    const failed = placementStartFailure(fleet, m, vm, ledger);
    if (!failed) continue;
    out.set(m.id, {
      code: failed.code ?? "PRECONDITION_FAILED",
      message: failed.message,
      eventId: null,
      remedy: failed.remedy,
      diagnosis: `Placement's ${failed.name} check no longer holds for its destination just before the move would have started; nothing was sent to Hyper-V.${m.maintenanceId ? " The maintenance re-places it once on another host." : ""}`,
    });
  }
  return out;
}
