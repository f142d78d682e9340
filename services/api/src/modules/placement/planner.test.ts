// The placement planner over plain data (no database): scores, spreading, promised memory, reserve,
// anti-affinity, maintenance, preflight verdicts, balancing.
import { describe, expect, it } from "vitest";
import { planBalance, spread } from "./balance.ts";
import { placementOptions, planPlacements } from "./planner.ts";
import { fleetOf, GiB, host, vm } from "./test-fixtures.ts";
import type { Fleet, PlacementRequest, PlannerHost, PlannerVm } from "./types.ts";

const auto = (v: PlannerVm, over: Partial<PlacementRequest> = {}): PlacementRequest => ({
  vm: v,
  destinationHostId: null,
  includeStorage: false,
  ...over,
});

describe("placementOptions: one VM, every candidate, best first", () => {
  const src = host(1);
  const cases: {
    name: string;
    hosts: PlannerHost[];
    fleet?: (hosts: PlannerHost[]) => Partial<Fleet>;
    best: string | null;
    failing?: [host: string, check: string][];
  }[] = [
    {
      name: "the emptiest host wins",
      hosts: [host(2, { memoryAvailableBytes: 20n * GiB }), host(3)],
      best: "HV3",
    },
    {
      name: "memory promised to queued moves counts",
      hosts: [host(2, {}, { promisedBytes: 30n * GiB }), host(3, { memoryAvailableBytes: 40n * GiB })],
      best: "HV3",
    },
    {
      name: "a host in maintenance is never a candidate that fits",
      hosts: [host(2), host(3, { memoryAvailableBytes: 30n * GiB })],
      fleet: ([a]) => ({ inMaintenance: new Set([a!.view.id]) }),
      best: "HV3",
      failing: [["HV2", "maintenance"]],
    },
    {
      name: "preflight verdicts come from the rules (vendor, switch, migration disabled)",
      hosts: [
        host(2, { cpuVendor: "AMD" }),
        host(3, { switches: ["Other"] }),
        host(4, {
          settings: {
            enabled: false,
            authenticationType: "CREDSSP",
            performanceOption: "TCPIP",
            useAnyNetworkForMigration: true,
          },
        }),
      ],
      best: null,
      failing: [
        ["HV2", "processor"],
        ["HV3", "switches"],
        ["HV4", "migration enabled HV4"],
      ],
    },
    {
      name: "the reserve is kept",
      hosts: [host(2, { memoryAvailableBytes: 5n * GiB }, { memoryReserveBytes: 2n * GiB })],
      best: null,
      failing: [["HV2", "memory reserve"]],
    },
    {
      name: "a disconnected agent fails",
      hosts: [host(2, { agentConnected: false }), host(3, { memoryAvailableBytes: 10n * GiB })],
      best: "HV3",
      failing: [["HV2", "agent HV2"]],
    },
  ];
  it.each(cases)("$name", ({ hosts, fleet, best, failing }) => {
    const fl = fleetOf([src, ...hosts], fleet?.(hosts) ?? {});
    const options = placementOptions(fl, auto(vm("web-01", src)));
    expect(options.map((o) => o.hostName).sort()).toEqual(hosts.map((h) => h.view.name).sort());
    expect(options[0]!.ok ? options[0]!.hostName : null).toBe(best);
    for (const [h, check] of failing ?? []) {
      const o = options.find((x) => x.hostName === h)!;
      expect(o.ok).toBe(false);
      expect(o.checks.find((c) => c.name === check)?.status).toBe("FAIL");
      expect(o.reasons[0]).toContain(check);
    }
    for (const o of options) {
      expect(o.reasons.join("\n")).toMatch(/free memory after the move/);
      expect(o.reasons.join("\n")).toMatch(/balance: /);
      expect(o.reasons.join("\n")).toMatch(/switches/);
      expect(o.reasons.join("\n")).toMatch(/pending incoming moves/);
    }
  });

  it("memory promised to queued moves lowers the score and can fail the host", () => {
    const busy = host(2, {}, { promisedBytes: 50n * GiB, incomingMoves: 3 });
    const idle = host(3, { memoryAvailableBytes: 30n * GiB });
    const options = placementOptions(
      fleetOf([src, busy, idle]),
      auto(vm("big", src, { memoryAssignedBytes: 12n * GiB })),
    );
    expect(options[0]!.hostName).toBe("HV3");
    const b = options.find((o) => o.hostName === "HV2")!;
    expect(b.ok).toBe(false);
    expect(b.checks.find((c) => c.name === "memory after queued moves")?.status).toBe("FAIL");
    expect(b.reasons.join(" ")).toContain("pending incoming moves: 3 -30");
  });

  it("with storage each option names the destination folder", () => {
    const options = placementOptions(fleetOf([src, host(2)]), auto(vm("db", src), { includeStorage: true }));
    expect(options[0]!.destinationStoragePath).toBe("D:\\VMs\\db");
    expect(options[0]!.ok).toBe(true);
  });
});

describe("planPlacements: many VMs together", () => {
  it.each([
    { vms: 20, hosts: 3 },
    { vms: 20, hosts: 4 },
    { vms: 12, hosts: 5 },
    { vms: 7, hosts: 3 },
  ])(
    "$vms auto-placed VMs over $hosts hosts: nobody gets more than the fair share plus one",
    ({ vms, hosts }) => {
      const src = host(1);
      // Unequal free memory: scoring alone would pile onto the emptiest host.
      const dests = Array.from({ length: hosts }, (_, i) =>
        host(i + 2, { memoryAvailableBytes: BigInt(40 + 8 * i) * GiB }),
      );
      const reqs = Array.from({ length: vms }, (_, i) =>
        auto(vm(`vm-${i}`, src, { memoryAssignedBytes: 1n * GiB })),
      );
      const plan = planPlacements(fleetOf([src, ...dests]), reqs);
      const counts = new Map<string, number>();
      for (const p of plan) counts.set(p.chosen!.hostName, (counts.get(p.chosen!.hostName) ?? 0) + 1);
      expect([...counts.values()].reduce((a, b) => a + b)).toBe(vms);
      for (const c of counts.values()) expect(c).toBeLessThanOrEqual(vms / hosts + 1);
      expect(plan.map((p) => p.request.vm.view.name)).toEqual(reqs.map((r) => r.vm.view.name));
    },
  );

  it("two moves never together overfill a host (nor eat its reserve)", () => {
    const src = host(1);
    const small = host(2, { memoryAvailableBytes: 12n * GiB }, { promisedBytes: 2n * GiB });
    const plan = planPlacements(fleetOf([src, small]), [
      auto(vm("a", src)),
      auto(vm("b", src)),
      auto(vm("c", src)),
    ]);
    // 12 free - 2 promised - 2 reserve = 8: two 4 GiB VMs fit, the third does not.
    expect(plan.map((p) => p.chosen?.hostName ?? null)).toEqual(["HV2", "HV2", null]);
    expect(plan[2]!.reason).toMatch(/memory/);
  });

  it("a chosen destination is checked and counted before auto-placement", () => {
    const src = host(1);
    const a = host(2, { memoryAvailableBytes: 10n * GiB });
    const b = host(3, { memoryAvailableBytes: 9n * GiB });
    const plan = planPlacements(fleetOf([src, a, b]), [
      auto(vm("x", src)),
      auto(vm("y", src), { destinationHostId: a.view.id }),
    ]);
    expect(plan[1]!.chosen?.hostName).toBe("HV2");
    expect(plan[1]!.reason).toMatch(/chosen by the caller/);
    expect(plan[0]!.chosen?.hostName).toBe("HV3");
  });

  it("a chosen destination into the reserve warns; beyond free memory fails", () => {
    const src = host(1);
    const a = host(2, { memoryAvailableBytes: 5n * GiB });
    const [ok] = planPlacements(fleetOf([src, a]), [auto(vm("x", src), { destinationHostId: a.view.id })]);
    expect(ok!.chosen?.checks.find((c) => c.name === "memory reserve")?.status).toBe("WARN");
    const [no] = planPlacements(fleetOf([src, a]), [
      auto(vm("x", src, { memoryAssignedBytes: 6n * GiB }), { destinationHostId: a.view.id }),
    ]);
    expect(no!.chosen).toBeNull();
    expect(no!.options[0]!.checks.find((c) => c.name === "memory after queued moves")?.status).toBe("FAIL");
  });

  it("anti-affinity: peers never share a host, counting current hosts and planned ones", () => {
    const src = host(1);
    const [a, b, c] = [host(2), host(3), host(4)];
    const peerOnA = vm("dc-0", a);
    const vms = [vm("dc-1", src), vm("dc-2", src), vm("web", src)];
    const fleet = fleetOf([src, a, b, c], {
      antiAffinityGroups: [{ id: "g", name: "dcs", vmIds: [peerOnA.id, vms[0]!.id, vms[1]!.id] }],
      locations: new Map([
        [peerOnA.id, [a.view.id]],
        [vms[0]!.id, [src.view.id]],
        [vms[1]!.id, [src.view.id]],
      ]),
    });
    const plan = planPlacements(
      fleet,
      vms.map((v) => auto(v)),
    );
    const dc1 = plan[0]!.chosen!.hostName;
    const dc2 = plan[1]!.chosen!.hostName;
    expect(dc1).not.toBe("HV2");
    expect(dc2).not.toBe("HV2");
    expect(dc1).not.toBe(dc2);
    const blocked = plan[0]!.options.find((o) => o.hostName === "HV2")!;
    expect(blocked.checks.find((x) => x.name === "anti-affinity")?.status).toBe("FAIL");
  });

  it("candidates restrict the destinations (evacuation onto chosen hosts)", () => {
    const src = host(1);
    const [a, b] = [host(2), host(3)];
    const plan = planPlacements(fleetOf([src, a, b], { candidates: new Set([b.view.id]) }), [
      auto(vm("x", src)),
      auto(vm("y", src)),
    ]);
    expect(plan.map((p) => p.chosen?.hostName)).toEqual(["HV3", "HV3"]);
    expect(plan[0]!.options.map((o) => o.hostName)).toEqual(["HV3"]);
  });

  it("an Off VM needs no memory on the destination", () => {
    const src = host(1);
    const full = host(2, { memoryAvailableBytes: 1n * GiB });
    const [p] = planPlacements(fleetOf([src, full]), [auto(vm("off", src, { state: "OFF" }))]);
    expect(p!.chosen?.hostName).toBe("HV2");
  });
});

describe("planBalance", () => {
  it("moves from the fullest host, lowers the spread, respects maxMoves, maintenance and anti-affinity", () => {
    const full = host(1, { memoryAvailableBytes: 16n * GiB });
    const empty = host(2, { memoryAvailableBytes: 60n * GiB });
    const away = host(3, { memoryAvailableBytes: 64n * GiB });
    const blocker = host(4, { memoryAvailableBytes: 40n * GiB });
    const vms = Array.from({ length: 12 }, (_, i) => vm(`vm-${i}`, full));
    const peer = vm("peer", blocker);
    const fleet = fleetOf([full, empty, away, blocker], {
      inMaintenance: new Set([away.view.id]),
      antiAffinityGroups: [{ id: "g", name: "pair", vmIds: [vms[0]!.id, peer.id] }],
      locations: new Map([
        [vms[0]!.id, [full.view.id]],
        [peer.id, [blocker.view.id]],
      ]),
    });
    const result = planBalance(fleet, vms, 3);
    expect(result.moves).toHaveLength(3);
    expect(result.spreadAfter).toBeLessThan(result.spreadBefore);
    for (const m of result.moves) {
      expect(m.option.hostName).not.toBe("HV3");
      expect(m.spreadAfter).toBeLessThan(m.spreadBefore);
      if (m.vm.id === vms[0]!.id) expect(m.option.hostName).not.toBe("HV4");
    }
    const unlimited = planBalance(fleet, vms, 50);
    expect(unlimited.moves.length).toBeLessThan(12);
    expect(unlimited.moves.some((m) => m.vm.id === vms[0]!.id && m.option.hostName === "HV4")).toBe(false);
  });

  it("a balanced fleet needs no move", () => {
    const hosts = [host(1), host(2)];
    expect(planBalance(fleetOf(hosts), [vm("a", hosts[0]!)], 5).moves).toEqual([]);
  });

  it.each([
    { f: [0.5, 0.5], s: 0 },
    { f: [0, 1], s: 0.5 },
    { f: [], s: 0 },
  ])("spread($f) = $s", ({ f, s }) => expect(spread(f)).toBeCloseTo(s));
});
