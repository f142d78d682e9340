import { buildSchema, type GraphQLError, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { depthLimitRule, operationCost } from "./limits.ts";

const schema = buildSchema(`
  type Query { hosts(first: Int, last: Int): HostConnection! viewer: User! }
  type User { name: String! friend: User }
  type HostConnection { edges: [HostEdge!]! totalCount: Int! }
  type HostEdge { node: Host! }
  type Host { name: String! vms(first: Int): VmConnection! }
  type VmConnection { edges: [VmEdge!]! }
  type VmEdge { node: Vm! }
  type Vm { name: String! }
`);

const depthErrors = (query: string, max: number) =>
  validate(schema, parse(query), [depthLimitRule(max)]).map((e: GraphQLError) => e.extensions.code);

describe("depth limit", () => {
  it.each([
    ["{ viewer { name } }", 2, []],
    ["{ viewer { friend { name } } }", 2, ["QUERY_TOO_DEEP"]],
    ["{ viewer { friend { friend { name } } } }", 3, ["QUERY_TOO_DEEP"]],
    // A fragment adds no level of its own.
    ["{ viewer { ...F } } fragment F on User { name }", 2, []],
    ["{ viewer { ... on User { friend { name } } } }", 3, []],
  ])("%s with a limit of %i", (query, max, expected) => {
    expect(depthErrors(query, max as number)).toEqual(expected);
  });

  it("measures a fragment spread many times once (no exponential blow-up)", () => {
    // 30 levels of fragments each spreading the next twice: 2^30 paths if expanded.
    const defs = Array.from({ length: 30 }, (_, i) =>
      i === 29
        ? `fragment F${i} on User { name }`
        : `fragment F${i} on User { friend { ...F${i + 1} } ...F${i + 1} }`,
    );
    const query = `{ viewer { ...F0 } } ${defs.join(" ")}`;
    expect(depthErrors(query, 100)).toEqual([]);
    expect(depthErrors(query, 10)).toEqual(["QUERY_TOO_DEEP"]);
  });
});

describe("operation cost", () => {
  const cost = (query: string, variables: Record<string, unknown> = {}) =>
    operationCost(schema, parse(query), null, variables);

  it("multiplies a connection's selections by its page size, 50 by default", () => {
    expect(cost("{ hosts(first: 10) { edges { node { name } } } }").cost).toBe(1 + 10 * 3);
    expect(cost("{ hosts { edges { node { name } } } }").cost).toBe(1 + 50 * 3);
    expect(cost("query($n: Int) { hosts(first: $n) { totalCount } }", { n: 7 }).cost).toBe(1 + 7);
  });

  it("multiplies nested connections and reports the largest page", () => {
    const report = cost(
      "{ hosts(first: 10) { edges { node { vms(first: 20) { edges { node { name } } } } } } }",
    );
    expect(report.cost).toBe(1 + 10 * (1 + 1 + (1 + 20 * 3)));
    expect(report.largestPage).toEqual({ size: 20, field: "vms" });
  });
});
