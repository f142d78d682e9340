// Unit tier: every allowed and every refused transition of the migration state machine.
import { describe, expect, it } from "vitest";
import { checkEveryTransition } from "../shared/transition-table.testing.ts";
import {
  ACTIVE_STATES,
  allowedFrom,
  canTransition,
  MIGRATION_STATES,
  SLOT_STATES,
  TERMINAL_STATES,
  TRANSITIONS,
} from "./transitions.ts";

/** Written out by hand (not derived from the table): the whole machine, one "op: FROM -> TO" per line. */
const ALLOWED = new Set([
  "start: QUEUED -> STARTING",
  "refuseStart: QUEUED -> FAILED",
  "claim: STARTING -> RUNNING",
  "run: STARTING -> RUNNING",
  "cancel: QUEUED -> CANCELLED",
  "cancel: STARTING -> CANCELLED",
  "cancel: RUNNING -> CANCELLING",
  ...["STARTING", "RUNNING", "CANCELLING"].flatMap((from) =>
    ["SUCCEEDED", "FAILED", "CANCELLED"].map((to) => `finish: ${from} -> ${to}`),
  ),
  "reconcile: RUNNING -> FAILED",
  "reconcile: RUNNING -> SUCCEEDED",
  "reconcile: CANCELLING -> CANCELLED",
  "reconcile: CANCELLING -> SUCCEEDED",
  "lose: STARTING -> FAILED",
  "lose: RUNNING -> FAILED",
  "lose: CANCELLING -> FAILED",
  ...["FAILED", "CANCELLED"].flatMap((from) =>
    ["SUCCEEDED", "FAILED", "CANCELLED"].map((to) => `correct: ${from} -> ${to}`),
  ),
  "reopen: FAILED -> RUNNING",
  "reopen: CANCELLED -> CANCELLING",
]);

describe("migration transition table", () => {
  const all = checkEveryTransition(
    { states: MIGRATION_STATES, table: TRANSITIONS, canTransition, allowedFrom },
    ALLOWED,
  );

  it("never leaves a terminal state except to correct or reopen a provisional end, and never enters QUEUED", () => {
    for (const t of all.filter((t) => canTransition(t.op, t.from, t.to))) {
      if (TERMINAL_STATES.includes(t.from)) expect(["correct", "reopen"]).toContain(t.op);
      expect(t.to).not.toBe("QUEUED");
    }
  });

  it("partitions the states: active = not terminal; slots are held by the states the agent owns", () => {
    expect([...ACTIVE_STATES, ...TERMINAL_STATES].sort()).toEqual([...MIGRATION_STATES].sort());
    expect(SLOT_STATES).toEqual(["STARTING", "RUNNING", "CANCELLING"]);
    for (const s of SLOT_STATES) expect(ACTIVE_STATES).toContain(s);
  });
});
