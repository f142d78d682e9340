// Placement for one move request (moveVm): choose the destination, or check a chosen one against
// placement's policies (maintenance, memory promised to the queue, reserve, anti-affinity).
import type { PreflightCheck } from "../migrations/preflight.ts";
import type { LoadedVm, MovePlacement, Plan } from "../migrations/requests.ts";
import { loadFleet, loadFleetHosts, lockPlacement, withQueue } from "./load.ts";
import { emptyLedger, PLACEMENT_CHECKS, planPlacements, scoreOption } from "./planner.ts";
import type { Fleet, Placement, PlacementRequest } from "./types.ts";

/** Placement's own checks for a move to `req.destinationHostId` (callerChose: the reserve only warns). */
export function placementChecks(fleet: Fleet, req: PlacementRequest, callerChose: boolean): PreflightCheck[] {
  const source = fleet.hosts.find((h) => h.view.id === req.vm.hostId);
  const dest = fleet.hosts.find((h) => h.view.id === req.destinationHostId);
  if (!source || !dest) return [];
  return scoreOption(fleet, req, source, dest, emptyLedger(), callerChose).checks.filter((c) =>
    PLACEMENT_CHECKS.has(c.name),
  );
}

/** The best host for one VM now, or null with the reason. */
export function placeOne(fleet: Fleet, req: PlacementRequest): Placement {
  return planPlacements(fleet, [{ ...req, destinationHostId: null }])[0]!;
}

/** A preflight report's check saying why no host was chosen, plus the best candidate's failing checks. */
export function noPlacementChecks(placed: Placement): PreflightCheck[] {
  const best = placed.options[0];
  return [
    {
      name: "placement",
      status: "FAIL",
      message: `No host can take ${placed.request.vm.view.name}: ${placed.reason}`,
      remedy:
        "placementOptions lists every host with its failing checks; free memory there, end maintenance, or name destinationHost.",
      code: "NO_PLACEMENT",
    },
    ...(best?.checks.filter((c) => c.status === "FAIL") ?? []),
  ];
}

/** The planner's request for a move request of migrations/requests.ts. */
export const placementRequest = (p: Plan, vm: Pick<LoadedVm, "row" | "view">): PlacementRequest => ({
  vm: { id: vm.row.id, hostId: vm.row.hostId, view: vm.view },
  destinationHostId: p.destinationHostId,
  includeStorage: p.kind === "LIVE_WITH_STORAGE",
  destinationStoragePath: p.destinationStoragePath,
});

/** Placement for moveVm and migrationPreflight (migrations/requests.ts calls it; it does not import placement). */
export const movePlacement: MovePlacement = {
  async choose(reader, vm, p) {
    const placed = placeOne(await loadFleet(reader), placementRequest(p, vm));
    if (!placed.chosen) return { checks: noPlacementChecks(placed) };
    return {
      destinationHostId: placed.chosen.hostId,
      destinationStoragePath: placed.chosen.destinationStoragePath,
      reason: placed.reason,
    };
  },
  async prepare(reader, vm, p) {
    // Source and destination are known: their rows are all the checks read (not the whole fleet's).
    const hostIds = [vm.row.hostId, ...(p.destinationHostId ? [p.destinationHostId] : [])];
    const hosts = await loadFleetHosts(reader, hostIds);
    const request = placementRequest(p, vm);
    return async (r) => placementChecks(await withQueue(r, hosts, { hostIds }), request, !p.auto);
  },
  lock: lockPlacement,
};
