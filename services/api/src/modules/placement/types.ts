// The planner's inputs and outputs: plain data, no database. The loader (placement/load.ts) builds a
// Fleet from the inventory; evacuation (maintenance), moveVm/moveVms and balancing call the planner.
import type { HostView, PreflightCheck, VmView } from "../migrations/preflight.ts";

const GiB = 1024n ** 3n;

/**
 * Memory a host keeps free after every move placement plans, unless set with setHostMemoryReserve:
 * 2 GiB, Microsoft's usual allowance for the management OS (the parent partition) of a Hyper-V host.
 */
export const DEFAULT_MEMORY_RESERVE_BYTES = 2n * GiB;

export interface PlannerHost {
  /** The host as preflight reads it (memoryAvailableBytes: what the inventory reports free now). */
  view: HostView;
  memoryCapacityBytes: bigint;
  /** Host.memoryReserveBytes: never planned into (a chosen destination only warns). */
  memoryReserveBytes: bigint;
  /** Memory of the VMs in QUEUED/STARTING/RUNNING moves to this host: promised, not yet in its inventory. */
  promisedBytes: bigint;
  /** How many active moves target this host. */
  incomingMoves: number;
  /** Host.virtualMachinePath: the default folder for a move with storage (<path>\<vm name>). */
  virtualMachinePath: string;
}

export interface PlannerVm {
  /** VirtualMachine row id. */
  id: string;
  /** The host it runs on (row id): the move's source. */
  hostId: string;
  view: VmView;
}

export interface PlacementRequest {
  vm: PlannerVm;
  /** A destination the caller chose (checked and counted), or null to let the planner choose. */
  destinationHostId: string | null;
  /** Live migration with storage (Move-VM -IncludeStorage), e.g. for VMs on host-local storage. */
  includeStorage: boolean;
  /** With includeStorage: the folder on the destination; default <destination's virtualMachinePath>\<vm>. */
  destinationStoragePath?: string | null;
}

export interface AntiAffinityRule {
  id: string;
  name: string;
  /** VirtualMachine row ids: no two of them on one host. */
  vmIds: string[];
}

export interface Fleet {
  /** Every host that may be a source or a candidate. */
  hosts: PlannerHost[];
  /** Host row ids in maintenance (or draining): never a destination. */
  inMaintenance: ReadonlySet<string>;
  antiAffinityGroups: AntiAffinityRule[];
  /**
   * Where each VM of an anti-affinity group is now: its host, plus the destination of its active
   * move (both count until the move ends). VMs without a group may be left out.
   */
  locations: ReadonlyMap<string, readonly string[]>;
  /** Only these hosts are candidates (evacuationPlan destinations, balancePlan hosts); all when absent. */
  candidates?: ReadonlySet<string>;
}

export interface PlacementOption {
  hostId: string;
  hostName: string;
  /** No check FAILs: the VM may go there. */
  ok: boolean;
  /** Higher is better; only comparable between options of one VM in one plan. */
  score: number;
  /** Why the score is what it is, one line per part (free memory, balance, switches, pending moves). */
  reasons: string[];
  /** Preflight's checks (without Compare-VM) plus placement's: maintenance, memory after queued moves, reserve, anti-affinity. */
  checks: PreflightCheck[];
  /** With storage: the folder the files go to on this host. */
  destinationStoragePath: string | null;
}

export interface Placement {
  /** The request this answers (results are in request order). */
  request: PlacementRequest;
  /** The chosen option; null when no host can take the VM (or the chosen destination cannot). */
  chosen: PlacementOption | null;
  /** Every candidate, best first (for a chosen destination: just that host). */
  options: PlacementOption[];
  /** One sentence: why this host, or why none. */
  reason: string;
}
