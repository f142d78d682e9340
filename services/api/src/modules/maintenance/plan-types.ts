// The evacuation plan as plain data (what evacuationPlan answers and what a maintenance stores).
import type { PreflightCheck } from "../migrations/preflight.ts";

export type UnmovablePolicyValue = "STAY_RUNNING" | "SAVE" | "SHUT_DOWN";

/** One move of a plan, in start order. */
export interface PlannedStep {
  /** 1 = starts first. */
  order: number;
  /** VirtualMachine row id. */
  vmRowId: string;
  vmGuid: string;
  vmName: string;
  /** Host row id. */
  destinationHostId: string;
  kind: "LIVE" | "LIVE_WITH_STORAGE";
  destinationStoragePath: string | null;
  estimatedSeconds: number;
  /** Estimated seconds after the first start at which this move starts (queue within the hosts' limits). */
  startsAfterSeconds: number;
}

/** A VM that cannot leave (or could not), with why. Stored as JSON on Maintenance.unmovable. */
export interface UnmovableEntry {
  vmRowId: string;
  vmGuid: string;
  vmName: string;
  checks: PreflightCheck[];
  action: UnmovablePolicyValue;
}

export interface EvacuationPlanResult {
  /** Host row id. */
  hostId: string;
  steps: PlannedStep[];
  unmovable: UnmovableEntry[];
  estimatedSeconds: number;
  lowerBoundSeconds: number;
}
