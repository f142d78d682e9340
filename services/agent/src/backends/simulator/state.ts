// The simulator's whole state as plain JSON-able data: the world definition (mutated as VMs move),
// plus what Hyper-V keeps per host (event log, migration jobs) and injected faults. The file-backed
// world stores exactly this document.
import type { HostEvent, HyperVErrorCode, HyperVErrorInfo, JobKind, JobState } from "../types.ts";
import type { HostDefinition, VolumeDefinition, WorldDefinition } from "../world.ts";

export type FaultCode = HyperVErrorCode | "LONG_BLACKOUT";

export interface SimHost extends HostDefinition {
  /** Microsoft-Windows-Hyper-V-VMMS-Admin, oldest first, trimmed to the newest EVENT_LOG_LIMIT. */
  events: HostEvent[];
  nextRecordId: number;
}

export interface PlannedFailure {
  code: HyperVErrorCode;
  message: string;
  /** The specific event Hyper-V logs besides 21502 (21125, 20413 ...), null when none is known. */
  eventId: number | null;
  /** Percent at which the job stops. */
  percent: number;
  /** Clock time of the failure. */
  at: number;
  /** Also log on the destination host (the failure happened there). */
  onDestination: boolean;
}

/** A Msvm_MigrationJob. Its state is a function of the clock; nothing runs in the background. */
export interface JobRecord {
  jobId: string;
  kind: JobKind;
  vmId: string;
  vmName: string;
  source: string;
  destination: string;
  startedAt: number;
  /** Clock time at which the move completes if nothing stops it. */
  endAt: number;
  simSeconds: number;
  /** Seed of this job's progress curve. */
  curveSeed: number;
  failure: PlannedFailure | null;
  /** Set for the injected LONG_BLACKOUT fault (event 20417). */
  longBlackoutSeconds: number | null;
  /** New paths once the move completes (storage moves). */
  storage: { vmPath: string | null; drives: { from: string; to: string }[] } | null;
  /** Memory the destination reserves while a running VM migrates to it. */
  reservedMemoryBytes: number;
  cancelRequestedAt: number | null;
  /** Set once the job ended and its effects and events were applied. */
  result: { state: JobState; percent: number; error: HyperVErrorInfo | null; endedAt: number } | null;
}

export interface SimState {
  format: "ferry-simulator/1";
  seed: number;
  timeScale: number;
  /** Clock time the world was created; running VMs' uptime grows from here. */
  epochMs: number;
  jobSeq: number;
  hosts: SimHost[];
  sharedVolumes: VolumeDefinition[];
  delegations: Record<string, string[]>;
  jobs: JobRecord[];
  faults: { vmName: string; code: FaultCode }[];
}

export function stateFromDefinition(def: WorldDefinition, now: number): SimState {
  const copy = structuredClone(def);
  const names = new Set<string>();
  const vmIds = new Set<string>();
  for (const h of copy.hosts) {
    const key = h.facts.name.toLowerCase();
    if (names.has(key)) throw new Error(`duplicate host name in world definition: ${h.facts.name}`);
    names.add(key);
    for (const vm of h.vms) {
      const id = vm.vmId.toLowerCase();
      if (vmIds.has(id)) throw new Error(`duplicate vmId in world definition: ${vm.vmId}`);
      vmIds.add(id);
    }
  }
  if (!(copy.timeScale > 0)) throw new Error("timeScale must be > 0");
  return {
    format: "ferry-simulator/1",
    seed: copy.seed,
    timeScale: copy.timeScale,
    epochMs: now,
    jobSeq: 0,
    hosts: copy.hosts.map((h) => ({ ...h, events: [], nextRecordId: 1 })),
    sharedVolumes: copy.sharedVolumes,
    delegations: copy.delegations,
    jobs: [],
    faults: [],
  };
}

const RUNNING_LIKE = new Set(["RUNNING", "PAUSED", "STARTING", "STOPPING", "SAVING", "PAUSING", "RESUMING"]);

/** States in which a VM holds memory on its host (and has a live processor state). */
export function holdsMemory(state: string): boolean {
  return RUNNING_LIKE.has(state);
}

/** Seconds the running VMs have been up at `now` (uptime keeps growing in simulated time). */
export function uptimeAt(state: SimState, base: number, vmState: string, now: number): number {
  if (!holdsMemory(vmState)) return 0;
  return Math.round(base + (Math.max(0, now - state.epochMs) / 1000) * state.timeScale);
}

export function definitionFromState(state: SimState, now: number): WorldDefinition {
  const hosts: HostDefinition[] = state.hosts.map(({ events: _e, nextRecordId: _n, ...h }) => {
    const copy = structuredClone(h);
    for (const vm of copy.vms) vm.uptimeSeconds = uptimeAt(state, vm.uptimeSeconds, vm.state, now);
    return copy;
  });
  return {
    seed: state.seed,
    timeScale: state.timeScale,
    hosts,
    sharedVolumes: structuredClone(state.sharedVolumes),
    delegations: structuredClone(state.delegations),
  };
}

// JSON with bigints: the same key-based encoding as world.ts (worldToJson/worldFromJson), so the
// state file's "world part" reads like a definition. User data never sits in these keys.
const BIGINT_KEYS = new Set([
  "memoryCapacityBytes",
  "memoryAssignedBytes",
  "memoryStartupBytes",
  "sizeBytes",
  "freeBytes",
  "linkSpeedBps",
]);

export function stateToJson(state: SimState): string {
  return JSON.stringify(state, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

export function stateFromJson(text: string): SimState {
  const parsed = JSON.parse(text, (k, v) =>
    BIGINT_KEYS.has(k) && (typeof v === "string" || typeof v === "number") ? BigInt(v) : v,
  ) as SimState;
  if (parsed.format !== "ferry-simulator/1") throw new Error("not a Ferry simulator state file");
  return parsed;
}
