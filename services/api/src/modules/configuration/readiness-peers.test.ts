// Readiness of a host against a fleet asks each peer rule once per group of peers, not once per peer
// (issue 16: a reaction batch of 1,000 hosts against 2,000 peers was 2 million rule calls and seconds of
// CPU). The rules are counted where readiness.ts calls them; what they answer is readiness-equivalence.test.ts's.
import * as hyperv from "@ferry/hyperv";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { FleetHost, ReadinessHost } from "./readiness.ts";
import { unionOf } from "./readiness-peers.ts";

const calls = vi.hoisted(() => new Map<string, number>());
vi.mock("@ferry/hyperv", async (importOriginal) => {
  const original = await importOriginal<typeof hyperv>();
  const counted = <A extends unknown[], R>(name: string, rule: (...a: A) => R) => {
    return (...args: A): R => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return rule(...args);
    };
  };
  return {
    ...original,
    authentication: counted("authentication", original.authentication),
    authenticationOutcome: counted("authenticationOutcome", original.authenticationOutcome),
    authenticationTypesMatch: counted("authenticationTypesMatch", original.authenticationTypesMatch),
    sameDomain: counted("sameDomain", original.sameDomain),
    processor: counted("processor", original.processor),
  };
});

const PEERS = 2000;
/** A fleet of a few kinds of host: one domain, two vendors, two protocols. */
const fleet: FleetHost[] = Array.from({ length: PEERS }, (_, i) => ({
  id: `h${i}`,
  name: `HV-${String(i).padStart(4, "0")}`,
  fqdn: `hv-${String(i).padStart(4, "0")}.corp.local`,
  domain: "corp.local",
  cpuVendor: i % 7 === 0 ? "AMD" : "INTEL",
  authenticationType: i % 11 === 0 ? "CREDSSP" : "KERBEROS",
}));

/** Host i, delegating to its 15 neighbours (as the simulated fleet does). */
function host(i: number): ReadinessHost {
  const f = fleet[i]!;
  const neighbours = fleet
    .slice(Math.floor(i / 16) * 16, Math.floor(i / 16) * 16 + 16)
    .filter((p) => p !== f);
  return {
    ...f,
    agentConnected: true,
    delegations: neighbours.flatMap((p) => [`cifs/${p.name}`, `${hyperv.MIGRATION_SERVICE}/${p.fqdn}`]),
    delegationsKnown: true,
    settings: {
      enabled: true,
      authenticationType: "KERBEROS",
      performanceOption: "COMPRESSION",
      useAnyNetworkForMigration: true,
    },
    networks: [],
    firewallRules: [],
    adapters: [],
  };
}

describe("computeReadiness against a 2,000-host fleet", () => {
  let computeReadiness: typeof import("./readiness.ts").computeReadiness;
  beforeAll(async () => {
    // The unit tier runs several files per worker (isolate: false): an earlier file may have loaded
    // readiness.ts with the real rules. A fresh copy of it imports the counted ones above.
    vi.resetModules();
    ({ computeReadiness } = await import("./readiness.ts"));
  });
  beforeEach(() => calls.clear());

  it("asks each rule a few times per host (per group of peers and per peer the host's delegations name), not once per peer", () => {
    const hosts = [1, 500, 1999];
    for (const i of hosts) {
      const checks = computeReadiness(host(i), fleet);
      expect(checks.find((c) => c.name === "kerberosDelegation")!.message).toMatch(/ and \d+ more\)$/);
    }
    const perHost = Object.fromEntries([...calls].map(([name, n]) => [name, n / hosts.length]));
    // authenticationTypesMatch, sameDomain, processor: one status per group (2, 1, 2) and the verdict of the
    // peer a message names first; authenticationOutcome: one per group and one per named peer (15);
    // authentication: the one verdict shown.
    expect(perHost.authenticationTypesMatch).toBeLessThanOrEqual(3);
    expect(perHost.sameDomain).toBeLessThanOrEqual(2);
    expect(perHost.processor).toBeLessThanOrEqual(2);
    expect(perHost.authenticationOutcome).toBeLessThanOrEqual(1 + 15);
    expect(perHost.authentication).toBeLessThanOrEqual(1);
  });
});

describe("unionOf: disjoint sets of peers in fleet order", () => {
  it("counts every peer but the skipped ones and lists the first in fleet order", () => {
    const skip = new Set([0, 5, 7]);
    const sets = [
      { positions: [0, 3, 5, 9, 12], skip },
      { positions: [1, 4, 7, 8] },
      { positions: [2, 6, 10], skip },
    ];
    // Set 2 takes no skip: 7 stays.
    expect(unionOf(sets, 5)).toEqual({ count: 10, first: [1, 2, 3, 4, 6] });
    expect(unionOf(sets, 20)).toEqual({ count: 10, first: [1, 2, 3, 4, 6, 7, 8, 9, 10, 12] });
    expect(unionOf([], 9)).toEqual({ count: 0, first: [] });
    expect(unionOf([{ positions: [3], skip: new Set([3]) }], 9)).toEqual({ count: 0, first: [] });
  });
});
