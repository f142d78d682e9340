// The maintenance state machine's transition table: which operation may move a maintenance from which
// state to which. Pure data (unit-tested without a database); machine.ts applies it, each transition
// as one guarded UPDATE (`WHERE state IN allowedFrom(op, to)`), like the migrations' machine.
import type { MaintenanceState } from "../../generated/prisma/enums.ts";
import { IN_MAINTENANCE_STATES } from "../shared/maintenance.ts";

export { IN_MAINTENANCE_STATES };

export const MAINTENANCE_STATES = [
  "PLANNING",
  "DRAINING",
  "IN_MAINTENANCE",
  "RETURNING",
  "ENDED",
  "FAILED",
  "CANCELLED",
] as const satisfies readonly MaintenanceState[];

/** Not ended: at most one per host (partial unique index). */
export const OPEN_STATES: MaintenanceState[] = ["PLANNING", "DRAINING", "IN_MAINTENANCE", "RETURNING"];
export const TERMINAL_STATES: MaintenanceState[] = ["ENDED", "FAILED", "CANCELLED"];
/** States the drain worker acts on. */
export const WORKING_STATES: MaintenanceState[] = ["PLANNING", "DRAINING", "RETURNING"];

export type MaintenanceOperation =
  /** Worker: notBefore passed, the plan is made against current inventory; moves are queued. */
  | "drain"
  /** Worker: nothing left to move (what could not move is listed). */
  | "drained"
  /** Worker: the drain cannot go on (the host left the inventory, its agent is gone for good). */
  | "fail"
  /** Client (cancelMaintenance): queued moves are cancelled, running ones finish. */
  | "cancel"
  /** Client (endMaintenance): RETURNING with returnVms, else ENDED at once. */
  | "end"
  /** Worker: every VM that could go back went back. */
  | "returned";

/** operation → from → allowed targets. Everything not listed is refused. */
export const MAINTENANCE_TRANSITIONS: Record<
  MaintenanceOperation,
  Partial<Record<MaintenanceState, readonly MaintenanceState[]>>
> = {
  drain: { PLANNING: ["DRAINING"] },
  drained: { DRAINING: ["IN_MAINTENANCE"] },
  fail: { PLANNING: ["FAILED"], DRAINING: ["FAILED"], RETURNING: ["FAILED"] },
  cancel: { PLANNING: ["CANCELLED"], DRAINING: ["CANCELLED"], RETURNING: ["CANCELLED"] },
  end: { IN_MAINTENANCE: ["RETURNING", "ENDED"] },
  returned: { RETURNING: ["ENDED"] },
};

export function canTransition(
  op: MaintenanceOperation,
  from: MaintenanceState,
  to: MaintenanceState,
): boolean {
  return MAINTENANCE_TRANSITIONS[op][from]?.includes(to) ?? false;
}

/** The states from which `op` may lead to `to`: the guard of the UPDATE. */
export function allowedFrom(op: MaintenanceOperation, to: MaintenanceState): MaintenanceState[] {
  return MAINTENANCE_STATES.filter((from) => canTransition(op, from, to));
}

export const isTerminal = (state: MaintenanceState) => TERMINAL_STATES.includes(state);
