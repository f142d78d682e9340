// Unit-tier scaffolding shared by the state machines' tests (migrations, maintenance): every
// (operation, from, to) of a transition table checked against a list of the allowed transitions
// written out by hand, so a table edit that adds or drops a transition fails a test.
import { expect, it } from "vitest";

export interface TransitionTable<Op extends string, S extends string> {
  states: readonly S[];
  table: Record<Op, Partial<Record<S, readonly S[]>>>;
  canTransition(op: Op, from: S, to: S): boolean;
  allowedFrom(op: Op, to: S): readonly S[];
}

/** Registers the allowed/refused/exactly-listed tests; returns every (op, from, to) triple for more checks. */
export function checkEveryTransition<Op extends string, S extends string>(
  machine: TransitionTable<Op, S>,
  allowed: ReadonlySet<string>,
): { op: Op; from: S; to: S }[] {
  const operations = Object.keys(machine.table) as Op[];
  const all = operations.flatMap((op) =>
    machine.states.flatMap((from) => machine.states.map((to) => ({ op, from, to }))),
  );
  const isAllowed = (t: { op: Op; from: S; to: S }) => allowed.has(`${t.op}: ${t.from} -> ${t.to}`);

  it.each(all.filter(isAllowed))("allows $op: $from -> $to", ({ op, from, to }) => {
    expect(machine.canTransition(op, from, to)).toBe(true);
    expect(machine.allowedFrom(op, to)).toContain(from);
  });

  it.each(all.filter((t) => !isAllowed(t)))("refuses $op: $from -> $to", ({ op, from, to }) => {
    expect(machine.canTransition(op, from, to)).toBe(false);
    expect(machine.allowedFrom(op, to)).not.toContain(from);
  });

  it("lists exactly the hand-written transitions (no extra ones in the table)", () => {
    const listed = operations.flatMap((op) =>
      Object.entries(machine.table[op]).flatMap(([from, tos]) =>
        (tos as readonly S[]).map((to) => `${op}: ${from} -> ${to}`),
      ),
    );
    expect(new Set(listed)).toEqual(allowed);
  });
  return all;
}
