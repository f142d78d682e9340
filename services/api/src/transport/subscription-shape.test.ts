import { parse } from "graphql";
import { describe, expect, it } from "vitest";
import type { Principal } from "../context.ts";
import { authorizationScope, shapeKey, stableJson } from "./subscription-shape.ts";

const PROGRESS = "subscription P($id: ID!) { migrationProgress(id: $id) { id state percentComplete } }";
const viewer = (name: string): Principal => ({ kind: "user", tokenId: name, name, role: "VIEWER" });
const admin: Principal = { kind: "user", tokenId: "a", name: "a", role: "ADMIN" };
const agent = (hostId: string): Principal => ({
  kind: "agent",
  credentialId: `c-${hostId}`,
  hostId,
  hostName: hostId,
});

const key = (
  query: string,
  variables: Record<string, unknown>,
  principal: Principal,
  operationName?: string,
) => shapeKey({ document: parse(query), operationName, variables, principal })?.key;

describe("subscription shapes", () => {
  it("the same document (spacing and comments aside), variables in any order and role share one key", () => {
    const a = key(PROGRESS, { id: "M1", x: 1 }, viewer("alice"));
    const b = key(
      `# a console\nsubscription P($id: ID!) {\n  migrationProgress(id: $id) { id  state percentComplete }\n}`,
      { x: 1, id: "M1" },
      viewer("bob"),
    );
    expect(a).toBeDefined();
    expect(b).toBe(a);
  });

  it("another variable value, selection, operation name, role or agent gets its own key", () => {
    const base = key(PROGRESS, { id: "M1" }, viewer("alice"));
    const others = [
      key(PROGRESS, { id: "M2" }, viewer("alice")),
      key(PROGRESS.replace(" percentComplete", ""), { id: "M1" }, viewer("alice")),
      key(
        `${PROGRESS} subscription Q($id: ID!) { migrationProgress(id: $id) { id } }`,
        { id: "M1" },
        viewer("a"),
        "P",
      ),
      key(PROGRESS, { id: "M1" }, admin),
      key(PROGRESS, { id: "M1" }, agent("h1")),
      key(PROGRESS, { id: "M1" }, agent("h2")),
    ];
    expect(new Set([base, ...others]).size).toBe(others.length + 1);
  });

  it("only snapshot fields of subscription operations are shared", () => {
    expect(key(PROGRESS, { id: "M1" }, admin)).toBeDefined();
    expect(key("subscription { hostEvents { id } }", {}, admin)).toBeUndefined();
    expect(key("query { viewer { name } }", {}, admin)).toBeUndefined();
    expect(
      key("subscription { ...F } fragment F on Subscription { migrationProgress(id: 1) { id } }", {}, admin),
    ).toBeUndefined();
  });

  it("scope: a user's role, an agent's own credential and host", () => {
    expect(authorizationScope(viewer("x"))).toBe(authorizationScope(viewer("y")));
    expect(authorizationScope(viewer("x"))).not.toBe(authorizationScope(admin));
    expect(authorizationScope(agent("h1"))).not.toBe(authorizationScope(agent("h2")));
    expect(authorizationScope(null)).toBe("anonymous");
  });

  it("stableJson sorts keys at every level and keeps arrays in order", () => {
    expect(stableJson({ b: [2, { d: 1, c: null }], a: "x", u: undefined })).toBe(
      '{"a":"x","b":[2,{"c":null,"d":1}]}',
    );
  });
});
