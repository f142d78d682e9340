// The placement planner, pure: scores every candidate host for a VM and plans many VMs together.
// Hyper-V's own rules come from preflight (runPreflight, i.e. @ferry/hyperv: one rule, one function);
// placement adds its policies as checks of its own: hosts in maintenance, memory already promised to
// queued and running moves, each host's memory reserve, anti-affinity (README.md, "Placement").
import { holdsMemory, memory, memoryNeeded } from "@ferry/hyperv";
import { type MoveRequest, type PreflightCheck, runPreflight } from "../migrations/preflight.ts";
import type { Fleet, Placement, PlacementOption, PlacementRequest, PlannerHost, PlannerVm } from "./types.ts";

const GiB = 1024 ** 3;
const gib = (bytes: bigint) => `${(Number(bytes) / GiB).toFixed(1)} GiB`;
const pct = (x: number) => `${Math.round(x * 100)}%`;
const round1 = (x: number) => Math.round(x * 10) / 10;
const signed = (x: number) => (x >= 0 ? `+${round1(x)}` : `${round1(x)}`);

/** Weights of the score's parts (README.md, "Placement": the reasons name each part). */
export const WEIGHTS = {
  /** Per unit of the host's capacity left free after the move. */
  free: 100,
  /** Per unit of used fraction above (minus) or below (plus) the fleet's mean after the move. */
  balance: 50,
  /** When the destination has every virtual switch of the source. */
  sameSwitches: 5,
  /** Per move already queued, running or planned to the host. */
  pending: 10,
} as const;

/** The checks placement adds to preflight's (the rest come from runPreflight). */
export const PLACEMENT_CHECKS: ReadonlySet<string> = new Set([
  "maintenance",
  "memory after queued moves",
  "memory reserve",
  "anti-affinity",
]);

/** What this plan has already put on each host (on top of the inventory and the queue). */
export interface Ledger {
  plannedBytes: Map<string, bigint>;
  plannedCount: Map<string, number>;
  /** vm id -> host ids it will occupy (anti-affinity). */
  plannedLocations: Map<string, string[]>;
}

export const emptyLedger = (): Ledger => ({
  plannedBytes: new Map(),
  plannedCount: new Map(),
  plannedLocations: new Map(),
});

/** Memory the destination must give the VM: none for an Off or Saved VM (@ferry/hyperv memory rule). */
export function demandOf(vm: PlannerVm): bigint {
  return holdsMemory(vm.view.state) ? memoryNeeded(vm.view) : 0n;
}

/** Memory in use on a host (capacity minus free), counting what is promised and planned to it. */
export function usedBytes(h: PlannerHost, ledger: Ledger): bigint {
  const used =
    h.memoryCapacityBytes -
    h.view.memoryAvailableBytes +
    h.promisedBytes +
    (ledger.plannedBytes.get(h.view.id) ?? 0n);
  return used < 0n ? 0n : used;
}

function fraction(part: bigint, whole: bigint): number {
  return whole > 0n ? Number(part) / Number(whole) : 1;
}

const placementCheck = (
  name: string,
  status: PreflightCheck["status"],
  message: string,
  remedy: string | null,
  code: string | null = null,
): PreflightCheck => ({ name, status, message, remedy, code: status === "PASS" ? null : code });

function maintenanceCheck(fleet: Fleet, dest: PlannerHost): PreflightCheck {
  return fleet.inMaintenance.has(dest.view.id)
    ? placementCheck(
        "maintenance",
        "FAIL",
        `${dest.view.name} is in maintenance: no new moves target it.`,
        `Choose another host, or end maintenance on ${dest.view.name} (endMaintenance).`,
        "HOST_IN_MAINTENANCE",
      )
    : placementCheck("maintenance", "PASS", `${dest.view.name} is not in maintenance.`, null);
}

/**
 * The memory rule of @ferry/hyperv again, on what is left once queued and running moves (and this
 * plan) have taken theirs, then once the reserve is kept. Overfilling always FAILs; dipping into the
 * reserve FAILs for auto-placement and only WARNs for a destination the caller chose.
 */
function memoryChecks(vm: PlannerVm, dest: PlannerHost, ledger: Ledger, chosen: boolean): PreflightCheck[] {
  const taken = dest.promisedBytes + (ledger.plannedBytes.get(dest.view.id) ?? 0n);
  const left = dest.view.memoryAvailableBytes - taken;
  const promisedNote = `${gib(taken)} promised to queued, running and planned moves to ${dest.view.name}`;
  const afterQueue = memory(vm.view, { name: dest.view.name, memoryAvailableBytes: left });
  const out: PreflightCheck[] = [
    placementCheck(
      "memory after queued moves",
      afterQueue.status,
      `With ${promisedNote}: ${afterQueue.message}`,
      afterQueue.remedy,
      afterQueue.code,
    ),
  ];
  const reserve = dest.memoryReserveBytes;
  const afterReserve = memory(vm.view, { name: dest.view.name, memoryAvailableBytes: left - reserve });
  if (afterReserve.status === "PASS") {
    out.push(
      placementCheck(
        "memory reserve",
        "PASS",
        `${dest.view.name} keeps its ${gib(reserve)} reserve after the move.`,
        null,
      ),
    );
  } else if (afterQueue.status === "PASS") {
    out.push(
      placementCheck(
        "memory reserve",
        chosen ? "WARN" : "FAIL",
        `The move would leave ${dest.view.name} ${gib(left - demandOf(vm))} free, below its ${gib(reserve)} reserve (${promisedNote}).`,
        `Choose another host, or lower the reserve (setHostMemoryReserve).`,
        "INSUFFICIENT_MEMORY",
      ),
    );
  }
  return out;
}

/** The hosts each peer (VM sharing an anti-affinity group) occupies, now or in this plan. */
function antiAffinityCheck(fleet: Fleet, vm: PlannerVm, dest: PlannerHost, ledger: Ledger): PreflightCheck {
  const conflicts: string[] = [];
  for (const group of fleet.antiAffinityGroups) {
    if (!group.vmIds.includes(vm.id)) continue;
    for (const peer of group.vmIds) {
      if (peer === vm.id) continue;
      const where = [...(fleet.locations.get(peer) ?? []), ...(ledger.plannedLocations.get(peer) ?? [])];
      if (where.includes(dest.view.id)) conflicts.push(`'${group.name}'`);
    }
  }
  const groups = [...new Set(conflicts)];
  return groups.length
    ? placementCheck(
        "anti-affinity",
        "FAIL",
        `${vm.view.name} must not share a host with the other VMs of anti-affinity group ${groups.join(", ")}, and one of them is on (or moving to) ${dest.view.name}.`,
        "Choose another host, or change the group (setAntiAffinityGroup).",
        "ANTI_AFFINITY",
      )
    : placementCheck(
        "anti-affinity",
        "PASS",
        `No anti-affinity peer of ${vm.view.name} is on ${dest.view.name}.`,
        null,
      );
}

function storagePathFor(req: PlacementRequest, dest: PlannerHost): string | null {
  if (!req.includeStorage) return null;
  if (req.destinationStoragePath) return req.destinationStoragePath;
  const base = dest.virtualMachinePath.replace(/\\+$/, "");
  return base ? `${base}\\${req.vm.view.name}` : null;
}

/** Mean used fraction of the candidate hosts not in maintenance (the balance reference). */
function meanUse(fleet: Fleet, ledger: Ledger): number {
  const hosts = fleet.hosts.filter(
    (h) => !fleet.inMaintenance.has(h.view.id) && (!fleet.candidates || fleet.candidates.has(h.view.id)),
  );
  if (hosts.length === 0) return 0;
  return hosts.reduce((s, h) => s + fraction(usedBytes(h, ledger), h.memoryCapacityBytes), 0) / hosts.length;
}

/**
 * One candidate: every check (preflight without Compare-VM, then placement's own) and the score
 * with its reasons. `chosen`: the caller named this destination (the reserve only warns).
 */
export function scoreOption(
  fleet: Fleet,
  req: PlacementRequest,
  source: PlannerHost,
  dest: PlannerHost,
  ledger: Ledger,
  chosen = false,
): PlacementOption {
  const vm = req.vm;
  const destinationStoragePath = storagePathFor(req, dest);
  const request: MoveRequest = {
    kind: req.includeStorage ? "LIVE_WITH_STORAGE" : "LIVE",
    destinationStoragePath,
    vhdDestinations: [],
  };
  const checks = runPreflight(vm.view, source.view, dest.view, request, null).checks;
  if (dest.view.id !== source.view.id) {
    checks.push(maintenanceCheck(fleet, dest), ...memoryChecks(vm, dest, ledger, chosen));
    checks.push(antiAffinityCheck(fleet, vm, dest, ledger));
  }
  const ok = checks.every((c) => c.status !== "FAIL");

  const need = demandOf(vm);
  const taken = dest.promisedBytes + (ledger.plannedBytes.get(dest.view.id) ?? 0n);
  const freeAfter = dest.view.memoryAvailableBytes - taken - need;
  const freeShare = fraction(freeAfter < 0n ? 0n : freeAfter, dest.memoryCapacityBytes);
  const useAfter = fraction(usedBytes(dest, ledger) + need, dest.memoryCapacityBytes);
  const mean = meanUse(fleet, ledger);
  const pending = dest.incomingMoves + (ledger.plannedCount.get(dest.view.id) ?? 0);
  const destSwitches = new Set(dest.view.switches.map((s) => s.toLowerCase()));
  const missing = source.view.switches.filter((s) => !destSwitches.has(s.toLowerCase()));

  const parts = {
    free: WEIGHTS.free * freeShare,
    balance: WEIGHTS.balance * (mean - useAfter),
    switches: missing.length === 0 ? WEIGHTS.sameSwitches : 0,
    pending: -WEIGHTS.pending * pending,
  };
  const reasons = [
    `free memory after the move: ${gib(freeAfter < 0n ? 0n : freeAfter)} of ${gib(dest.memoryCapacityBytes)} (${pct(freeShare)}${taken > 0n ? `, after ${gib(taken)} promised to queued and planned moves` : ""}) ${signed(parts.free)}`,
    `balance: ${dest.view.name} would be ${pct(useAfter)} used against a mean of ${pct(mean)} ${signed(parts.balance)}`,
    missing.length === 0
      ? `same switches: ${dest.view.name} has every virtual switch of ${source.view.name} ${signed(parts.switches)}`
      : `switches: ${dest.view.name} lacks ${missing.join(", ")} of ${source.view.name} +0`,
    `pending incoming moves: ${pending} ${signed(parts.pending)}`,
  ];
  if (!ok) {
    reasons.unshift(
      `not possible: ${checks
        .filter((c) => c.status === "FAIL")
        .map((c) => c.name)
        .join(", ")}`,
    );
  }
  const score = round1(parts.free + parts.balance + parts.switches + parts.pending);
  return {
    hostId: dest.view.id,
    hostName: dest.view.name,
    ok,
    score,
    reasons,
    checks,
    destinationStoragePath,
  };
}

/** Possible options first, then by score (highest first), then by host name. */
export function byPreference(a: PlacementOption, b: PlacementOption): number {
  if (a.ok !== b.ok) return a.ok ? -1 : 1;
  if (a.score !== b.score) return b.score - a.score;
  return a.hostName.localeCompare(b.hostName);
}

/** Every candidate host for one VM, best first (placementOptions). The VM's own host is not a candidate. */
export function placementOptions(
  fleet: Fleet,
  req: PlacementRequest,
  ledger = emptyLedger(),
): PlacementOption[] {
  const source = fleet.hosts.find((h) => h.view.id === req.vm.hostId);
  if (!source) return [];
  return fleet.hosts
    .filter((h) => h.view.id !== source.view.id && (!fleet.candidates || fleet.candidates.has(h.view.id)))
    .map((h) => scoreOption(fleet, req, source, h, ledger))
    .sort(byPreference);
}

/** Records a planned move in the ledger (its memory, count and location). */
export function commit(ledger: Ledger, req: PlacementRequest, hostId: string): void {
  ledger.plannedBytes.set(hostId, (ledger.plannedBytes.get(hostId) ?? 0n) + demandOf(req.vm));
  ledger.plannedCount.set(hostId, (ledger.plannedCount.get(hostId) ?? 0) + 1);
  ledger.plannedLocations.set(req.vm.id, [...(ledger.plannedLocations.get(req.vm.id) ?? []), hostId]);
}

const failedNames = (o: PlacementOption) =>
  o.checks
    .filter((c) => c.status === "FAIL")
    .map((c) => `${c.name}: ${c.message}`)
    .join(" ");

function placeChosen(fleet: Fleet, req: PlacementRequest, ledger: Ledger): Placement {
  const source = fleet.hosts.find((h) => h.view.id === req.vm.hostId);
  const dest = fleet.hosts.find((h) => h.view.id === req.destinationHostId);
  if (!source || !dest) {
    return {
      request: req,
      chosen: null,
      options: [],
      reason: `${source ? "the destination" : "the VM's host"} is not in the inventory`,
    };
  }
  const option = scoreOption(fleet, req, source, dest, ledger, true);
  if (!option.ok) return { request: req, chosen: null, options: [option], reason: failedNames(option) };
  commit(ledger, req, dest.view.id);
  return {
    request: req,
    chosen: option,
    options: [option],
    reason: `${dest.view.name} was chosen by the caller.`,
  };
}

/**
 * Plans the requests together, as if each planned move were already queued: memory promised and
 * planned is counted, anti-affinity sees planned locations, and auto-placed VMs are spread so no
 * host receives more than its fair share (ceil(auto-placed / hosts that can take one)) unless no
 * other host can take the VM. Chosen destinations are checked and counted first; auto-placed VMs
 * follow, largest memory first. Results are in request order; `ledger` (optional) carries what
 * was planned into a later call.
 */
export function planPlacements(
  fleet: Fleet,
  requests: PlacementRequest[],
  ledger = emptyLedger(),
): Placement[] {
  const results = new Array<Placement>(requests.length);
  requests.forEach((req, i) => {
    if (req.destinationHostId) results[i] = placeChosen(fleet, req, ledger);
  });
  const auto = requests
    .map((req, i) => ({ req, i }))
    .filter(({ req }) => !req.destinationHostId)
    .sort((a, b) => {
      const d = demandOf(b.req.vm) - demandOf(a.req.vm);
      return d > 0n ? 1 : d < 0n ? -1 : a.i - b.i;
    });
  const able = new Set<string>();
  for (const { req } of auto)
    for (const o of placementOptions(fleet, req, ledger)) if (o.ok) able.add(o.hostId);
  const fairShare = able.size > 0 ? Math.ceil(auto.length / able.size) : 0;
  const received = new Map<string, number>();
  for (const { req, i } of auto) {
    const options = placementOptions(fleet, req, ledger);
    const possible = options.filter((o) => o.ok);
    const underShare = possible.filter((o) => (received.get(o.hostId) ?? 0) < fairShare);
    const chosen = underShare[0] ?? possible[0] ?? null;
    if (!chosen) {
      const best = options[0];
      results[i] = {
        request: req,
        chosen: null,
        options,
        reason: best
          ? `no host can take ${req.vm.view.name}; best candidate ${best.hostName}: ${failedNames(best)}`
          : `no candidate host for ${req.vm.view.name}`,
      };
      continue;
    }
    commit(ledger, req, chosen.hostId);
    received.set(chosen.hostId, (received.get(chosen.hostId) ?? 0) + 1);
    const overShare = underShare.length === 0 && possible.length > 0;
    results[i] = {
      request: req,
      chosen,
      options,
      reason: `${chosen.hostName} scored best (${chosen.score})${overShare ? ", above its fair share because no other host can take the VM" : ""}: ${chosen.reasons.join("; ")}`,
    };
  }
  return results;
}
