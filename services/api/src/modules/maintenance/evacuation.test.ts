// Unit tier: when a drain waits for agents instead of listing a VM as unmovable for good.
import { describe, expect, it } from "vitest";
import type { PreflightCheck } from "../migrations/preflight.ts";
import type { Placement, PlacementOption } from "../placement/types.ts";
import { waitsForAgents } from "./evacuation.ts";

const fail = (name: string, code: string): PreflightCheck => ({
  name,
  status: "FAIL",
  message: name,
  remedy: null,
  code,
});
const pass = (name: string): PreflightCheck => ({
  name,
  status: "PASS",
  message: name,
  remedy: null,
  code: null,
});

const option = (hostName: string, checks: PreflightCheck[]): PlacementOption => ({
  hostId: hostName,
  hostName,
  ok: checks.every((c) => c.status !== "FAIL"),
  score: 0,
  reasons: [],
  checks,
  destinationStoragePath: null,
});

const placement = (options: PlacementOption[]): Placement =>
  ({ request: {} as Placement["request"], chosen: null, options, reason: "" }) as Placement;

describe("waitsForAgents", () => {
  it("waits when some host fails only because an agent is not connected (e.g. right after an API restart)", () => {
    const p = placement([
      option("D4", [fail("agent SRC", "AGENT_LOST"), fail("maintenance", "HOST_IN_MAINTENANCE")]),
      option("D2", [fail("agent SRC", "AGENT_LOST"), fail("agent D2", "AGENT_LOST"), pass("memory")]),
    ]);
    expect(waitsForAgents(p)).toBe(true);
  });

  it("does not wait when every host also fails a check an agent's return cannot fix", () => {
    const p = placement([
      option("D1", [fail("agent D1", "AGENT_LOST"), fail("switch", "SWITCH_NOT_FOUND")]),
      option("D2", [fail("processor", "PROCESSOR_INCOMPATIBLE")]),
    ]);
    expect(waitsForAgents(p)).toBe(false);
  });

  it("does not wait when there is no candidate at all", () => {
    expect(waitsForAgents(placement([]))).toBe(false);
  });
});
