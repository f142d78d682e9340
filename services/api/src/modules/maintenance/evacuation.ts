// The evacuation plan: placement's planner chooses each VM's destination (memory promised and
// planned, reserve, anti-affinity, hosts in maintenance, Hyper-V's rules through preflight); this
// orders the moves longest first (so the long ones overlap) and estimates the timeline within the
// hosts' slot limits and the lower bound. Pure core (evacuate) plus its loaders.
import { holdsMemory, isSharedPath, memoryNeeded } from "@ferry/hyperv";
import type { App, Context } from "../../context.ts";
import type { PreflightCheck } from "../migrations/preflight.ts";
import { emptyLedger, planPlacements } from "../placement/planner.ts";
import type { Fleet, Placement, PlacementRequest } from "../placement/types.ts";
import { NotFoundError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import {
  lowerBoundSeconds,
  type MoveCost,
  migrationBytesPerSecond,
  moveSeconds,
  queueOrder,
  simulateQueue,
  transferSeconds,
} from "./estimate.ts";
import { type EvacuationData, loadEvacuationData } from "./load.ts";
import type {
  EvacuationPlanResult,
  PlannedStep,
  UnmovableEntry,
  UnmovablePolicyValue,
} from "./plan-types.ts";
import { resolveDestinations } from "./service.ts";

export interface EvacuationOptions {
  hostId: string;
  /** Host row ids the VMs may go to; empty: every other host not in maintenance. */
  destinationHostIds: string[];
  policy: UnmovablePolicyValue;
  /** Host row ids in maintenance (never destinations). */
  inMaintenance: ReadonlySet<string>;
  /** Only these VMs (row ids); default every VM on the host. */
  only?: ReadonlySet<string>;
  /** Per VM (row id): hosts it must not go to (a move there failed). */
  avoid?: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A VM whose files are all on shared storage moves LIVE; otherwise its storage moves with it. */
export function onSharedStorage(vm: { path: string; hardDrives: { path: string }[] }): boolean {
  return [vm.path, ...vm.hardDrives.map((d) => d.path)].every(isSharedPath);
}

export function costOf(vm: EvacuationData["vms"][number], withStorage: boolean): MoveCost {
  return {
    memoryBytes: holdsMemory(vm.view.state) ? Number(memoryNeeded(vm.view)) : 0,
    storageBytes: withStorage ? vm.view.hardDrives.reduce((s, d) => s + Number(d.sizeBytes), 0) : 0,
  };
}

const noCandidate = (name: string): PreflightCheck => ({
  name: "destination",
  status: "FAIL",
  message: `No candidate host for ${name} (every other host is in maintenance or not among the destinations).`,
  remedy: "Add destinations, or end another host's maintenance.",
  code: "INVALID_PARAMETER",
});

/**
 * Whether a VM no host can take now could move once an agent reconnects: some candidate fails only on
 * agent presence (preflight's AGENT_LOST checks). An API restart or an agent's reconnect makes every
 * agent look away for a moment; that is not a reason to leave a VM behind for good.
 */
export function waitsForAgents(p: Placement): boolean {
  return p.options.some((o) => {
    const failing = o.checks.filter((c) => c.status === "FAIL");
    return failing.length > 0 && failing.every((c) => c.code === "AGENT_LOST");
  });
}

/** The plan, from loaded data (pure). */
export function evacuate(data: EvacuationData, opts: EvacuationOptions): EvacuationPlanResult {
  const inMaintenance = new Set([...opts.inMaintenance, opts.hostId]);
  const candidates = opts.destinationHostIds.length
    ? new Set(opts.destinationHostIds)
    : new Set(data.fleet.hosts.map((h) => h.view.id).filter((id) => id !== opts.hostId));
  const fleet: Fleet = { ...data.fleet, inMaintenance, candidates };
  const vms = data.vms.filter((vm) => !opts.only || opts.only.has(vm.id));
  const request = (vm: (typeof vms)[number]): PlacementRequest => ({
    vm,
    destinationHostId: null,
    includeStorage: !onSharedStorage(vm.view),
  });
  // Together (spread, promised memory counted), then the re-placed ones each without their failed hosts.
  const ledger = emptyLedger();
  const free = vms.filter((vm) => !opts.avoid?.get(vm.id)?.size);
  const placements = new Map<string, Placement>();
  for (const p of planPlacements(fleet, free.map(request), ledger)) placements.set(p.request.vm.id, p);
  for (const vm of vms.filter((v) => opts.avoid?.get(v.id)?.size)) {
    const avoid = opts.avoid!.get(vm.id)!;
    const narrowed = { ...fleet, candidates: new Set([...candidates].filter((id) => !avoid.has(id))) };
    placements.set(vm.id, planPlacements(narrowed, [request(vm)], ledger)[0]!);
  }

  const source = data.links.get(opts.hostId);
  const rate = (destId: string) => {
    const dest = data.links.get(destId);
    return source && dest ? migrationBytesPerSecond(source, dest) : 125_000_000;
  };
  const usable = [...candidates].filter((id) => !inMaintenance.has(id) && data.links.has(id));
  const bestRate = usable.reduce((m, id) => Math.max(m, rate(id)), 0) || 125_000_000;

  const moving: Omit<PlannedStep, "order" | "startsAfterSeconds">[] = [];
  const unmovable: UnmovableEntry[] = [];
  const waitingForAgents: string[] = [];
  const transfers: { seconds: number }[] = [];
  for (const vm of vms) {
    const p = placements.get(vm.id)!;
    const chosen = p.chosen;
    if (!chosen) {
      const failing = p.options[0]?.checks.filter((c) => c.status === "FAIL") ?? [];
      unmovable.push({
        vmRowId: vm.id,
        vmGuid: vm.vmGuid,
        vmName: vm.view.name,
        checks: failing.length ? failing : [noCandidate(vm.view.name)],
        action: opts.policy,
      });
      if (waitsForAgents(p)) waitingForAgents.push(vm.id);
      continue;
    }
    const cost = costOf(vm, p.request.includeStorage);
    transfers.push({ seconds: transferSeconds(cost, bestRate) });
    moving.push({
      vmRowId: vm.id,
      vmGuid: vm.vmGuid,
      vmName: vm.view.name,
      destinationHostId: chosen.hostId,
      kind: p.request.includeStorage ? "LIVE_WITH_STORAGE" : "LIVE",
      destinationStoragePath: chosen.destinationStoragePath,
      estimatedSeconds: Math.round(moveSeconds(cost, rate(chosen.hostId)) * 10) / 10,
    });
  }
  // Longest first, so the long moves overlap (a move that would wait for its destination gives way):
  // the queue starts them in this order.
  const slots = (id: string) => data.vmSlots.get(id) ?? 2;
  const timed = (list: typeof moving) =>
    list.map((m) => ({ destinationHostId: m.destinationHostId, seconds: m.estimatedSeconds }));
  const ordered = queueOrder(timed(moving), slots(opts.hostId), slots).map((i) => moving[i]!);
  const timeline = simulateQueue(timed(ordered), slots(opts.hostId), slots);
  const steps = ordered.map((m, i) => ({
    ...m,
    order: i + 1,
    startsAfterSeconds: Math.round(timeline.startAt[i]! * 10) / 10,
  }));
  const destinationSlots = usable.reduce((s, id) => s + slots(id), 0);
  return {
    hostId: opts.hostId,
    steps,
    unmovable,
    waitingForAgents,
    estimatedSeconds: Math.round(timeline.totalSeconds * 10) / 10,
    lowerBoundSeconds:
      Math.round(lowerBoundSeconds(transfers, slots(opts.hostId), destinationSlots) * 10) / 10,
  };
}

/** The plan against the current inventory. */
export async function planEvacuation(
  app: App,
  opts: Omit<EvacuationOptions, "inMaintenance">,
): Promise<EvacuationPlanResult> {
  const data = await loadEvacuationData(app, opts.hostId);
  return evacuate(data, { ...opts, inMaintenance: data.fleet.inMaintenance });
}

/** evacuationPlan's resolver: validates the input (BAD_USER_INPUT / NOT_FOUND), then plans. */
export async function planEvacuationFor(
  ctx: Context,
  input: { host: string; destinations: string[] | null; unmovable: UnmovablePolicyValue },
): Promise<EvacuationPlanResult> {
  const hostId = decodeId("Host", input.host, "input.host");
  const host = await ctx.app.db.prisma.host.findUnique({ where: { id: hostId }, select: { id: true } });
  if (!host) throw new NotFoundError("Host", input.host);
  const destinationHostIds = await resolveDestinations(ctx, hostId, input.destinations, "input.destinations");
  return planEvacuation(ctx.app, { hostId, destinationHostIds, policy: input.unmovable });
}
