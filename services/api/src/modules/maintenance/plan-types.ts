// The evacuation plan as plain data (what evacuationPlan answers and what a maintenance stores).
import type { PreflightCheck } from "../migrations/preflight.ts";
import type { PlannedStep } from "../placement/planned-move.ts";

export type UnmovablePolicyValue = "STAY_RUNNING" | "SAVE" | "SHUT_DOWN";

/** One move of a plan, in start order (placement's type: balancePlan shares GraphQL PlannedMove). */
export type { PlannedStep };

/** What the SAVE / SHUT_DOWN policy did to an unmovable VM (power.ts). */
export interface PowerOutcome {
  /** PENDING: sent to the agent; DONE; FAILED (the VM keeps running); SKIPPED (it left the host). */
  status: "PENDING" | "DONE" | "FAILED" | "SKIPPED";
  message: string;
  /** The agent command (AgentCommand id) that carries it. */
  commandId: string | null;
  /** The VM's state afterwards, as the agent answered or the inventory shows. */
  vmState: string | null;
  /** The failure code (SHUTDOWN_UNAVAILABLE, COMMAND_EXPIRED ...). */
  code: string | null;
  at: string;
}

/** A VM that cannot leave (or could not), with why. Stored as JSON on Maintenance.unmovable. */
export interface UnmovableEntry {
  vmRowId: string;
  vmGuid: string;
  vmName: string;
  checks: PreflightCheck[];
  action: UnmovablePolicyValue;
  /** SAVE / SHUT_DOWN: what was done; absent until the drain is over (and always for STAY_RUNNING). */
  outcome?: PowerOutcome;
}

export interface EvacuationPlanResult {
  /** Host row id. */
  hostId: string;
  steps: PlannedStep[];
  unmovable: UnmovableEntry[];
  /**
   * Row ids of the unmovable VMs that could move once an agent is back: some host fails only on an
   * agent that is not connected. A drain waits for these instead of listing them for good.
   */
  waitingForAgents: string[];
  estimatedSeconds: number;
  lowerBoundSeconds: number;
}
