// placementStartFailure over plain data: the checks placement chose with, again at a queued move's
// start (maintenance, memory after moves in flight, reserve for a move placement chose, anti-affinity),
// with moves starting in one pass counted against each other.
import { describe, expect, it } from "vitest";
import { emptyLedger } from "./planner.ts";
import { placementStartFailure } from "./start-check.ts";
import type { Fleet, PlannerHost, PlannerVm } from "./types.ts";

const GiB = 1024n ** 3n;

function host(n: number, freeGiB: bigint, extra: Partial<PlannerHost> = {}): PlannerHost {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return {
    view: {
      id,
      name: `HV${n}`,
      fqdn: `HV${n}.corp.local`,
      domain: "corp.local",
      cpuVendor: "INTEL",
      memoryAvailableBytes: freeGiB * GiB,
      supportedVmVersions: ["8.0"],
      delegations: [],
      delegationsKnown: true,
      agentConnected: true,
      settings: {
        enabled: true,
        authenticationType: "CREDSSP",
        performanceOption: "TCPIP",
        useAnyNetworkForMigration: true,
      },
      migrationSubnets: [],
      adapterAddresses: [`10.0.1.${n}`],
      switches: ["Production"],
      firewallRules: [{ name: "VIRT-MIGL-In-TCP-NoScope", enabled: true }],
      volumes: [{ root: "D:\\", freeBytes: 500n * GiB }],
    },
    memoryCapacityBytes: 64n * GiB,
    memoryReserveBytes: 2n * GiB,
    promisedBytes: 0n,
    incomingMoves: 0,
    virtualMachinePath: "D:\\VMs",
    ...extra,
  };
}

function vm(name: string, on: PlannerHost, gib = 4n): PlannerVm {
  return {
    id: `vm-${name}`,
    hostId: on.view.id,
    view: {
      name,
      state: "RUNNING",
      memoryAssignedBytes: gib * GiB,
      memoryStartupBytes: gib * GiB,
      configurationVersion: "8.0",
      processorCompatibilityForMigration: false,
      isClustered: false,
      path: `\\\\fs01\\vms\\${name}`,
      hardDrives: [{ path: `\\\\fs01\\vms\\${name}\\${name}.vhdx`, sizeBytes: 40n * GiB }],
      switchNames: ["Production"],
    },
  };
}

const fleetOf = (hosts: PlannerHost[], over: Partial<Fleet> = {}): Fleet => ({
  hosts,
  inMaintenance: new Set(),
  antiAffinityGroups: [],
  locations: new Map(),
  ...over,
});

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
