// The migration state machine's transition table: which operation may move a migration from which
// state to which. Pure data (unit-tested without a database); machine.ts applies it, each transition
// as one guarded UPDATE (`WHERE state IN allowedFrom(op, to)`).
import type { MigrationState } from "../../generated/prisma/enums.ts";

export const MIGRATION_STATES = [
  "QUEUED",
  "STARTING",
  "RUNNING",
  "CANCELLING",
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
] as const satisfies readonly MigrationState[];

/** Not ended yet: the VM has a move in progress (one per VM). */
export const ACTIVE_STATES: MigrationState[] = ["QUEUED", "STARTING", "RUNNING", "CANCELLING"];
/** Ended. A provisional end (decided by Ferry without Hyper-V's word) may still be corrected. */
export const TERMINAL_STATES: MigrationState[] = ["SUCCEEDED", "FAILED", "CANCELLED"];
/** Handed to the source agent: they hold the hosts' migration slots and need a live agent. */
export const SLOT_STATES: MigrationState[] = ["STARTING", "RUNNING", "CANCELLING"];

export type Operation =
  /** Scheduler: a slot is free, START_MOVE is written. */
  | "start"
  /** Scheduler: a host-state check failed just before the start; nothing was sent. */
  | "refuseStart"
  /** Agent, before it calls Move-VM: only a STARTING migration may be started. */
  | "claim"
  /** Agent: the job is running (a job report or START_MOVE's answer, for agents that do not claim). */
  | "run"
  /** Client: cancel. QUEUED and STARTING (the agent has not claimed it) end at once. */
  | "cancel"
  /** Agent: the job ended (or START_MOVE was refused). */
  | "finish"
  /**
   * The source agent has no job for the move (CANCEL_MOVE found none, or JOB_STATUS of a quiet move):
   * ends as it really ended by the inventory (a cancelled move that did not move CANCELLED, a running
   * one FAILED JOB_LOST, provisional; SUCCEEDED when the VM is at its destination).
   */
  | "reconcile"
  /** Sweeper: the source agent was away too long (provisional). */
  | "lose"
  /** Agent: a real outcome for a provisional end (AGENT_LOST, cancelled before the claim). */
  | "correct"
  /**
   * Agent: the job of a provisional end is still running. FAILED (AGENT_LOST, JOB_LOST) is RUNNING
   * again; CANCELLED (before the claim) becomes CANCELLING, so the cancel is carried out.
   */
  | "reopen";

const ENDINGS: MigrationState[] = ["SUCCEEDED", "FAILED", "CANCELLED"];

/** operation → from → allowed targets. Everything not listed is refused. */
export const TRANSITIONS: Record<Operation, Partial<Record<MigrationState, readonly MigrationState[]>>> = {
  start: { QUEUED: ["STARTING"] },
  refuseStart: { QUEUED: ["FAILED"] },
  claim: { STARTING: ["RUNNING"] },
  run: { STARTING: ["RUNNING"] },
  cancel: { QUEUED: ["CANCELLED"], STARTING: ["CANCELLED"], RUNNING: ["CANCELLING"] },
  finish: { STARTING: ENDINGS, RUNNING: ENDINGS, CANCELLING: ENDINGS },
  reconcile: { RUNNING: ["FAILED", "SUCCEEDED"], CANCELLING: ["CANCELLED", "SUCCEEDED"] },
  lose: { STARTING: ["FAILED"], RUNNING: ["FAILED"], CANCELLING: ["FAILED"] },
  correct: { FAILED: ENDINGS, CANCELLED: ENDINGS },
  reopen: { FAILED: ["RUNNING"], CANCELLED: ["CANCELLING"] },
};

export function canTransition(op: Operation, from: MigrationState, to: MigrationState): boolean {
  return TRANSITIONS[op][from]?.includes(to) ?? false;
}

/** The states from which `op` may lead to `to`: the guard of the UPDATE. */
export function allowedFrom(op: Operation, to: MigrationState): MigrationState[] {
  return MIGRATION_STATES.filter((from) => canTransition(op, from, to));
}

export const isTerminal = (state: MigrationState) => TERMINAL_STATES.includes(state);
