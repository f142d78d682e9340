// placementStartFailure over plain data: the checks placement chose with, again at a queued move's
// start (maintenance, memory after moves in flight, reserve for a move placement chose, anti-affinity),
// with moves starting in one pass counted against each other.
import { describe, expect, it } from "vitest";
import { emptyLedger } from "./planner.ts";
import { placementStartFailure } from "./start-check.ts";
import { host as fixtureHost, vm as fixtureVm, fleetOf, GiB } from "./test-fixtures.ts";
import type { PlannerHost, PlannerVm } from "./types.ts";

/** A host with `freeGiB` free (placement's fixture host otherwise). */
const host = (n: number, freeGiB: bigint, extra: Partial<PlannerHost> = {}): PlannerHost =>
  fixtureHost(n, { memoryAvailableBytes: freeGiB * GiB }, extra);

/** A running VM of `gib` GiB on `on`. */
const vm = (name: string, on: PlannerHost, gib = 4n): PlannerVm =>
  fixtureVm(name, on, { memoryAssignedBytes: gib * GiB, memoryStartupBytes: gib * GiB });

const move = (
  v: PlannerVm,
  to: PlannerHost,
  over: { auto?: boolean; maintenanceId?: string | null } = {},
) => ({
  kind: "LIVE" as const,
  sourceHostId: v.hostId,
  destinationHostId: to.view.id,
  destinationStoragePath: null,
  maintenanceId: over.maintenanceId ?? null,
  placementReason: over.auto ? "HV2 scored best" : null,
});

describe("placementStartFailure", () => {
  const src = host(1, 40n);
  it("passes a move whose destination still fits it", () => {
    const dest = host(2, 20n);
    const v = vm("a", src);
    expect(placementStartFailure(fleetOf([src, dest]), move(v, dest), v)).toBeNull();
  });

  it("fails a move whose destination went into maintenance since (HOST_IN_MAINTENANCE)", () => {
    const dest = host(2, 20n);
    const v = vm("a", src);
    const f = placementStartFailure(
      fleetOf([src, dest], { inMaintenance: new Set([dest.view.id]) }),
      move(v, dest),
      v,
    );
    expect(f).toMatchObject({ name: "maintenance", code: "HOST_IN_MAINTENANCE" });
  });

  it("counts memory of moves in flight there, and of moves starting in the same pass", () => {
    // 10 GiB free, 4 GiB already on its way (started after the last inventory): a 4 GiB VM fits,
    // with a second one starting in the same pass it no longer does (10 - 4 - 4 < 4).
    const dest = host(2, 10n, { promisedBytes: 4n * GiB });
    const fleet = fleetOf([src, dest]);
    const a = vm("a", src);
    const b = vm("b", src);
    const ledger = emptyLedger();
    expect(placementStartFailure(fleet, move(a, dest), a, ledger)).toBeNull();
    expect(placementStartFailure(fleet, move(b, dest), b, ledger)).toMatchObject({
      name: "memory after queued moves",
      code: "INSUFFICIENT_MEMORY",
    });
  });

  it("fails the reserve only for a move placement chose (auto-placed, a maintenance's)", () => {
    // 5 GiB free, 2 GiB reserve: a 4 GiB VM fits but dips into the reserve.
    const dest = host(2, 5n);
    const v = vm("a", src);
    const fleet = fleetOf([src, dest]);
    expect(placementStartFailure(fleet, move(v, dest), v)).toBeNull();
    expect(placementStartFailure(fleet, move(v, dest, { auto: true }), v)).toMatchObject({
      name: "memory reserve",
      code: "INSUFFICIENT_MEMORY",
    });
    expect(placementStartFailure(fleet, move(v, dest, { maintenanceId: "m-1" }), v)?.name).toBe(
      "memory reserve",
    );
  });

  it("fails anti-affinity against a peer on the destination, passes with none there", () => {
    const dest = host(2, 40n);
    const v = vm("a", src);
    const peer = vm("p", dest);
    const group = { id: "g", name: "pair", vmIds: [v.id, peer.id] };
    // The VM's own locations include this move's destination (its active move): no peer there, no conflict.
    const alone = fleetOf([src, dest], {
      antiAffinityGroups: [{ ...group, vmIds: [v.id, "vm-elsewhere"] }],
      locations: new Map([[v.id, [src.view.id, dest.view.id]]]),
    });
    expect(placementStartFailure(alone, move(v, dest), v)).toBeNull();
    const withPeer = fleetOf([src, dest], {
      antiAffinityGroups: [group],
      locations: new Map([
        [v.id, [src.view.id, dest.view.id]],
        [peer.id, [dest.view.id]],
      ]),
    });
    expect(placementStartFailure(withPeer, move(v, dest), v)).toMatchObject({ code: "ANTI_AFFINITY" });
  });
});
