// Unit tier: every allowed and every refused transition of the maintenance state machine.
import { describe, expect, it } from "vitest";
import { checkEveryTransition } from "../shared/transition-table.testing.ts";
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
  checkEveryTransition(
    { states: MAINTENANCE_STATES, table: MAINTENANCE_TRANSITIONS, canTransition, allowedFrom },
    ALLOWED,
  );

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
