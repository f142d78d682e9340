import { describe, expect, it } from "vitest";
import { buildDelegationPlan, type DelegationHost, fqdnOf, psQuote } from "./delegation.ts";

const host = (name: string, over: Partial<DelegationHost> = {}): DelegationHost => ({
  id: name,
  name,
  fqdn: `${name}.corp.local`,
  domain: "corp.local",
  delegations: [],
  delegationsKnown: true,
  ...over,
});

describe("delegation plan", () => {
  it("quotes values as PowerShell data, doubling every single-quote character", () => {
    expect(psQuote("HV01")).toBe("'HV01'");
    expect(psQuote("O'Brien")).toBe("'O''Brien'");
    expect(psQuote("a\u2019b\u2018c\u201Ad\u201Be")).toBe(
      "'a\u2019\u2019b\u2018\u2018c\u201A\u201Ad\u201B\u201Be'",
    );
    expect(psQuote('$(x) `n "y"')).toBe("'$(x) `n \"y\"'");
  });

  it("has n(n-1) ordered pairs with four entries each, and marks what is known", () => {
    const plan = buildDelegationPlan([
      host("A", { delegations: ["cifs/B", "Microsoft Virtual System Migration Service/B.corp.local"] }),
      host("B"),
      host("C", { delegationsKnown: false }),
    ]);
    expect(plan.pairs).toHaveLength(6);
    for (const pair of plan.pairs) expect(pair.entries).toHaveLength(4);
    const ab = plan.pairs.find((p) => p.source.name === "A" && p.destination.name === "B")!;
    expect(ab.entries.map((e) => e.status)).toEqual(["PRESENT", "MISSING", "MISSING", "PRESENT"]);
    expect(
      plan.pairs.filter((p) => p.source.name === "C").flatMap((p) => p.entries.map((e) => e.status)),
    ).toEqual(Array(8).fill("UNKNOWN"));
    expect(plan.protocolTransition).toHaveLength(3);
  });

  it("falls back to name.domain for the FQDN and warns when neither is known", () => {
    expect(fqdnOf(host("X", { fqdn: null }))).toBe("X.corp.local");
    const plan = buildDelegationPlan([host("A"), host("W", { fqdn: null, domain: null })]);
    const toW = plan.pairs.find((p) => p.destination.name === "W")!;
    expect(toW.entries.map((e) => e.value)).toEqual([
      "cifs/W",
      "Microsoft Virtual System Migration Service/W",
    ]);
    expect(plan.warnings[0]).toContain("W");
  });
});
