// Balancing, pure: greedy moves that most reduce the spread (population standard deviation) of
// used/total memory across the hosts, each move checked like any placement (preflight, maintenance,
// queued memory, reserve, anti-affinity). Stops at maxMoves or when no move helps.
import { demandOf, emptyLedger, type Ledger, scoreOption, usedBytes } from "./planner.ts";
import type { Fleet, PlacementOption, PlannerHost, PlannerVm } from "./types.ts";

export interface BalanceMove {
  vm: PlannerVm;
  sourceHostId: string;
  option: PlacementOption;
  spreadBefore: number;
  spreadAfter: number;
}

export interface BalanceResult {
  moves: BalanceMove[];
  spreadBefore: number;
  spreadAfter: number;
}

/** A move must lower the spread by at least this much to be worth a live migration. */
const MIN_GAIN = 1e-4;

export function spread(fractions: number[]): number {
  if (fractions.length === 0) return 0;
  const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
  return Math.sqrt(fractions.reduce((s, f) => s + (f - mean) ** 2, 0) / fractions.length);
}

/**
 * `vms`: the VMs that may move (the caller leaves out those with an active migration). Hosts in
 * maintenance neither give nor take; `fleet.candidates` restricts the hosts balanced.
 */
export function planBalance(fleet: Fleet, vms: PlannerVm[], maxMoves: number): BalanceResult {
  const hosts = fleet.hosts.filter(
    (h) => !fleet.inMaintenance.has(h.view.id) && (!fleet.candidates || fleet.candidates.has(h.view.id)),
  );
  const byId = new Map(hosts.map((h) => [h.view.id, h]));
  const ledger: Ledger = emptyLedger();
  // What leaves a host (the ledger counts what arrives).
  const leaving = new Map<string, bigint>();
  const location = new Map(vms.map((vm) => [vm.id, vm.hostId]));
  const use = (h: PlannerHost) =>
    Number(usedBytes(h, ledger) - (leaving.get(h.view.id) ?? 0n)) /
    Math.max(1, Number(h.memoryCapacityBytes));
  const current = () => spread(hosts.map(use));
  const before = current();
  const moves: BalanceMove[] = [];
  const moved = new Set<string>();

  while (moves.length < maxMoves) {
    const now = current();
    const fractions = new Map(hosts.map((h) => [h.view.id, use(h)]));
    // Candidate moves by the spread they would leave (cheap), checked in that order (expensive).
    const candidates: { vm: PlannerVm; source: PlannerHost; dest: PlannerHost; after: number }[] = [];
    for (const vm of vms) {
      const source = byId.get(location.get(vm.id)!);
      const need = demandOf(vm);
      if (!source || moved.has(vm.id) || need === 0n) continue;
      for (const dest of hosts) {
        if (dest === source) continue;
        const f = new Map(fractions);
        f.set(source.view.id, f.get(source.view.id)! - Number(need) / Number(source.memoryCapacityBytes));
        f.set(dest.view.id, f.get(dest.view.id)! + Number(need) / Number(dest.memoryCapacityBytes));
        const after = spread([...f.values()]);
        if (after < now - MIN_GAIN) candidates.push({ vm, source, dest, after });
      }
    }
    candidates.sort((a, b) => a.after - b.after || a.vm.view.name.localeCompare(b.vm.view.name));
    let picked: BalanceMove | null = null;
    for (const c of candidates) {
      const option = scoreOption(
        fleet,
        { vm: c.vm, destinationHostId: null, includeStorage: false },
        c.source,
        c.dest,
        ledger,
      );
      if (!option.ok) continue;
      picked = { vm: c.vm, sourceHostId: c.source.view.id, option, spreadBefore: now, spreadAfter: c.after };
      break;
    }
    if (!picked) break;
    const need = demandOf(picked.vm);
    ledger.plannedBytes.set(
      picked.option.hostId,
      (ledger.plannedBytes.get(picked.option.hostId) ?? 0n) + need,
    );
    ledger.plannedCount.set(picked.option.hostId, (ledger.plannedCount.get(picked.option.hostId) ?? 0) + 1);
    ledger.plannedLocations.set(picked.vm.id, [picked.option.hostId]);
    leaving.set(picked.sourceHostId, (leaving.get(picked.sourceHostId) ?? 0n) + need);
    location.set(picked.vm.id, picked.option.hostId);
    moved.add(picked.vm.id);
    moves.push(picked);
  }
  return { moves, spreadBefore: before, spreadAfter: current() };
}
