// The return after a maintenance: the VMs that left go back to the host they came from, each when
// the host can take it (placement's checks for a chosen destination: Hyper-V's rules, memory after
// queued and planned moves), largest first; estimated within the host's slot limit.

import { planPlacements } from "../placement/planner.ts";
import type { Fleet, PlacementRequest } from "../placement/types.ts";
import { migrationBytesPerSecond, moveSeconds, simulateQueue } from "./estimate.ts";
import { costOf, onSharedStorage, waitsForAgents } from "./evacuation.ts";
import type { EvacuationData } from "./load.ts";
import type { PlannedStep, UnmovableEntry } from "./plan-types.ts";

export interface ReturnPlan {
  /** Moves back, in start order (sourceHostId: where each VM is now). */
  steps: (PlannedStep & { sourceHostId: string })[];
  /** VMs the host cannot take back, with the failing checks. */
  refused: UnmovableEntry[];
  /** Row ids of refused VMs that the host could take once an agent is back (asked again later). */
  waitingForAgents: string[];
  estimatedSeconds: number;
}

export function planReturn(data: EvacuationData, hostId: string): ReturnPlan {
  const fleet: Fleet = { ...data.fleet, candidates: undefined };
  const vms = data.vms.filter((vm) => vm.hostId !== hostId);
  const requests: PlacementRequest[] = vms.map((vm) => ({
    vm,
    destinationHostId: hostId,
    includeStorage: !onSharedStorage(vm.view),
  }));
  const placements = planPlacements(fleet, requests);
  const back = data.links.get(hostId);
  const steps: ReturnPlan["steps"] = [];
  const refused: UnmovableEntry[] = [];
  const waitingForAgents: string[] = [];
  placements.forEach((p, i) => {
    const vm = vms[i]!;
    if (!p.chosen) {
      refused.push({
        vmRowId: vm.id,
        vmGuid: vm.vmGuid,
        vmName: vm.view.name,
        checks: (p.options[0]?.checks ?? []).filter((c) => c.status === "FAIL"),
        action: "STAY_RUNNING",
      });
      if (waitsForAgents(p)) waitingForAgents.push(vm.id);
      return;
    }
    const from = data.links.get(vm.hostId);
    const rate = from && back ? migrationBytesPerSecond(from, back) : 125_000_000;
    steps.push({
      order: 0,
      startsAfterSeconds: 0,
      vmRowId: vm.id,
      vmGuid: vm.vmGuid,
      vmName: vm.view.name,
      sourceHostId: vm.hostId,
      destinationHostId: hostId,
      kind: p.request.includeStorage ? "LIVE_WITH_STORAGE" : "LIVE",
      destinationStoragePath: p.chosen.destinationStoragePath,
      estimatedSeconds: Math.round(moveSeconds(costOf(vm, p.request.includeStorage), rate) * 10) / 10,
    });
  });
  steps.sort((a, b) => b.estimatedSeconds - a.estimatedSeconds || a.vmName.localeCompare(b.vmName));
  // Every move ends on the host: its slots are the shared lane, each source's slots the other side.
  const slots = (id: string) => data.vmSlots.get(id) ?? 2;
  const timeline = simulateQueue(
    steps.map((s) => ({ destinationHostId: s.sourceHostId, seconds: s.estimatedSeconds })),
    slots(hostId),
    slots,
  );
  steps.forEach((s, i) => {
    s.order = i + 1;
    s.startsAfterSeconds = Math.round(timeline.startAt[i]! * 10) / 10;
  });
  return { steps, refused, waitingForAgents, estimatedSeconds: Math.round(timeline.totalSeconds * 10) / 10 };
}
