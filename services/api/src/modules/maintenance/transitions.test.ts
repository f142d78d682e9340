// Unit tier: every allowed and every refused transition of the maintenance state machine.
import { describe, expect, it } from "vitest";
import {
  allowedFrom,
  canTransition,
  IN_MAINTENANCE_STATES,
  isTerminal,
  MAINTENANCE_STATES,
  MAINTENANCE_TRANSITIONS,
  type MaintenanceOperation,
  OPEN_STATES,
} from "./transitions.ts";

/** Written out by hand (not derived from the table): the whole machine, one "op: FROM -> TO" per line. */
const ALLOWED = new Set([
  "drain: PLANNING -> DRAINING",
  "drained: DRAINING -> IN_MAINTENANCE",
  "fail: PLANNING -> FAILED",
  "fail: DRAINING -> FAILED",
  "fail: RETURNING -> FAILED",
  "cancel: PLANNING -> CANCELLED",
  "cancel: DRAINING -> CANCELLED",
  "cancel: RETURNING -> CANCELLED",
  "end: IN_MAINTENANCE -> RETURNING",
  "end: IN_MAINTENANCE -> ENDED",
  "returned: RETURNING -> ENDED",
]);

const OPERATIONS = Object.keys(MAINTENANCE_TRANSITIONS) as MaintenanceOperation[];

describe("maintenance transition table", () => {
  const all = OPERATIONS.flatMap((op) =>
    MAINTENANCE_STATES.flatMap((from) => MAINTENANCE_STATES.map((to) => ({ op, from, to }))),
  );

  it.each(all.filter((t) => ALLOWED.has(`${t.op}: ${t.from} -> ${t.to}`)))(
    "allows $op: $from -> $to",
    ({ op, from, to }) => {
      expect(canTransition(op, from, to)).toBe(true);
      expect(allowedFrom(op, to)).toContain(from);
    },
  );

  it.each(all.filter((t) => !ALLOWED.has(`${t.op}: ${t.from} -> ${t.to}`)))(
    "refuses $op: $from -> $to",
    ({ op, from, to }) => {
      expect(canTransition(op, from, to)).toBe(false);
      expect(allowedFrom(op, to)).not.toContain(from);
    },
  );

  it("lists exactly the hand-written transitions", () => {
    expect(all.filter((t) => canTransition(t.op, t.from, t.to)).length).toBe(ALLOWED.size);
  });

  it("ended maintenances never change again", () => {
    for (const from of MAINTENANCE_STATES.filter(isTerminal)) {
      for (const op of OPERATIONS) expect(MAINTENANCE_TRANSITIONS[op][from]).toBeUndefined();
    }
  });

  it("a host is in maintenance from PLANNING until it is ended (RETURNING takes moves again)", () => {
    expect(IN_MAINTENANCE_STATES).toEqual(["PLANNING", "DRAINING", "IN_MAINTENANCE"]);
    expect(OPEN_STATES).toEqual([...IN_MAINTENANCE_STATES, "RETURNING"]);
  });
});
