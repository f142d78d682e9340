// The evacuation plan as plain data (what evacuationPlan answers and what a maintenance stores).
import type { PreflightCheck } from "../migrations/preflight.ts";
import type { PlannedStep } from "../placement/planned-move.ts";

export type UnmovablePolicyValue = "STAY_RUNNING" | "SAVE" | "SHUT_DOWN";

/** One move of a plan, in start order (placement's type: balancePlan shares GraphQL PlannedMove). */
export type { PlannedStep };

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
