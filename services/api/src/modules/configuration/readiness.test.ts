// Readiness's peer checks name the worst verdict of a rule over every peer. computeReadiness asks each
// rule once per kind of peer (protocol, domain, CPU vendor) and builds messages only for the peers it
// names: these tests hold it to the definition, every rule applied to every peer, on random fleets.
import {
  authentication,
  authenticationTypesMatch,
  type HostFacts,
  processor,
  sameDomain,
  type Verdict,
} from "@ferry/hyperv";
import { describe, expect, it } from "vitest";
import {
  computeReadiness,
  type FleetHost,
  factsOf,
  names,
  peerFacts,
  type ReadinessCheck,
  type ReadinessHost,
} from "./readiness.ts";

/** Park-Miller: the same fleets on every run (the seed spread first: small seeds start small). */
function random(seed: number) {
  let s = (seed * 2654435761) % 2147483647 || 1;
  return {
    next: () => {
      s = (s * 48271) % 2147483647;
      return s / 2147483647;
    },
    pick<T>(list: readonly T[]): T {
      return list[Math.floor(this.next() * list.length)]!;
    },
  };
}

const DOMAINS = ["corp.local", "CORP.LOCAL", "lab.local", null] as const;
const VENDORS = ["INTEL", "AMD", "OTHER"] as const;
const PROTOCOLS = ["KERBEROS", "CREDSSP", null] as const;
const SERVICES = ["cifs", "Microsoft Virtual System Migration Service", "CIFS"] as const;

function fleetOf(seed: number): { fleet: FleetHost[]; hosts: ReadinessHost[] } {
  const r = random(seed);
  const size = 1 + Math.floor(r.next() * 24);
  const fleet: FleetHost[] = Array.from({ length: size }, (_, i) => {
    const domain = r.pick(DOMAINS);
    return {
      id: `h${i}`,
      name: `HV-${String(i).padStart(2, "0")}`,
      fqdn: domain && r.next() < 0.8 ? `hv-${i}.${domain}` : null,
      domain,
      cpuVendor: r.pick(VENDORS),
      authenticationType: r.pick(PROTOCOLS),
    };
  });
  const hosts = fleet.map((f): ReadinessHost => {
    const delegations = fleet
      .filter(() => r.next() < 0.7)
      .flatMap((peer) =>
        SERVICES.filter(() => r.next() < 0.6).map(
          (service) => `${service}/${r.next() < 0.5 || !peer.fqdn ? peer.name.toLowerCase() : peer.fqdn}`,
        ),
      );
    return {
      ...f,
      agentConnected: r.next() < 0.9,
      delegations,
      delegationsKnown: r.next() < 0.85,
      settings:
        r.next() < 0.05
          ? null
          : {
              enabled: true,
              authenticationType: f.authenticationType ?? r.pick(["KERBEROS", "CREDSSP"]),
              performanceOption: "COMPRESSION",
              useAnyNetworkForMigration: true,
            },
      networks: [],
      firewallRules: [],
      adapters: [],
    };
  });
  return { fleet, hosts };
}

/** The definition: every peer's verdict, the worst one's message first, the others named. */
function worst(
  name: string,
  verdicts: { peer: string; verdict: Verdict }[],
  passMessage: string,
): ReadinessCheck {
  for (const status of ["FAIL", "WARN"] as const) {
    const hit = verdicts.filter((v) => v.verdict.status === status);
    if (hit.length) {
      const others = hit.length > 1 ? ` (also for ${names(hit.slice(1).map((h) => h.peer))})` : "";
      return { name, status, message: `${hit[0]!.verdict.message}${others}`, remedy: hit[0]!.verdict.remedy };
    }
  }
  return { name, status: "PASS", message: passMessage, remedy: null };
}

function expectedPeerChecks(host: ReadinessHost, fleet: FleetHost[]): ReadinessCheck[] {
  const me = factsOf(host);
  const others = fleet.filter((h) => h.id !== host.id);
  const peers = others.map(peerFacts);
  const kerberos: ReadinessCheck =
    me.authenticationType !== "KERBEROS"
      ? (({ status, message, remedy }) => ({ name: "kerberosDelegation", status, message, remedy }))(
          authentication(me, peers[0] ?? me),
        )
      : worst(
          "kerberosDelegation",
          peers
            .filter((p) => !me.domain || !p.domain || p.domain.toLowerCase() === me.domain.toLowerCase())
            .map((p) => ({ peer: p.name, verdict: authentication(me, p) })),
          "Constrained delegation (cifs and the migration service) is configured to every peer.",
        );
  return [
    worst(
      "authenticationConsistent",
      others
        .filter((o) => o.authenticationType !== null)
        .map((o) => ({
          peer: `${o.name} (${o.authenticationType})`,
          verdict: authenticationTypesMatch(me, peerFacts(o)),
        })),
      `Every reporting host uses ${me.authenticationType} authentication.`,
    ),
    kerberos,
    worst(
      "sameDomain",
      peers.map((p) => ({ peer: p.name, verdict: sameDomain(me, p) })),
      host.domain ? `Every host is in ${host.domain}.` : "No other host to compare with.",
    ),
  ];
}

/** cpuVendorPeers by definition: the peers a running VM moves to, and those it never moves to. */
function vendorLists(me: HostFacts, peers: HostFacts[]) {
  const vm = { name: "a running VM", state: "RUNNING", processorCompatibilityForMigration: true };
  return {
    ok: peers.filter((p) => processor(vm, me, p).status === "PASS").map((p) => p.name),
    refused: peers
      .filter((p) => processor(vm, me, p).status === "FAIL")
      .map((p) => `${p.name} (${p.cpuVendor})`),
  };
}

const PEER_CHECKS = new Set(["authenticationConsistent", "kerberosDelegation", "sameDomain"]);

describe("computeReadiness: every rule over every peer, computed per kind of peer", () => {
  it("matches the definition on 200 random fleets (1-24 hosts, 3 domains and workgroups, 3 vendors, partial delegations)", () => {
    let compared = 0;
    let countedRest = 0;
    const statuses = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const { fleet, hosts } = fleetOf(seed);
      for (const host of hosts) {
        const checks = computeReadiness(host, fleet);
        if (!host.settings) continue;
        expect(checks.filter((c) => PEER_CHECKS.has(c.name))).toEqual(expectedPeerChecks(host, fleet));
        const me = factsOf(host);
        const vendor = checks.find((c) => c.name === "cpuVendorPeers")!;
        const { ok, refused } = vendorLists(me, fleet.filter((h) => h.id !== host.id).map(peerFacts));
        if (vendor.status === "PASS") {
          expect(vendor.message).toContain(
            `running VMs move live to and from ${ok.length ? names(ok) : "no other host yet"}`,
          );
          if (refused.length) expect(vendor.message).toContain(`; never to ${names(refused)}:`);
          else expect(vendor.message).not.toContain("never to");
        } else expect(ok.length === 0 || me.cpuVendor === "OTHER").toBe(true);
        for (const c of checks) if (PEER_CHECKS.has(c.name)) statuses.add(`${c.name}:${c.status}`);
        if (checks.some((c) => / more\)$/.test(c.message))) countedRest++;
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(countedRest).toBeGreaterThan(0);
    // The fleets reach every outcome of the peer checks, "and N more" included.
    expect([...statuses].sort()).toEqual(
      [
        "authenticationConsistent:PASS",
        "authenticationConsistent:WARN",
        "kerberosDelegation:FAIL",
        "kerberosDelegation:PASS",
        "kerberosDelegation:WARN",
        "sameDomain:PASS",
        "sameDomain:WARN",
      ].sort(),
    );
  });

  it("names at most 8 peers and counts the rest", () => {
    const fleet: FleetHost[] = Array.from({ length: 12 }, (_, i) => ({
      id: `h${i}`,
      name: `HV-${i}`,
      fqdn: null,
      domain: i === 0 ? "corp.local" : "lab.local",
      cpuVendor: "INTEL",
      authenticationType: "KERBEROS",
    }));
    const host: ReadinessHost = {
      ...fleet[0]!,
      agentConnected: true,
      delegations: [],
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
    const domain = computeReadiness(host, fleet).find((c) => c.name === "sameDomain")!;
    expect(domain.status).toBe("WARN");
    expect(domain.message).toBe(
      "HV-0 (corp.local) and HV-1 (lab.local) are not in the same domain. (also for HV-2, HV-3, HV-4, HV-5, HV-6, HV-7, HV-8, HV-9 and 2 more)",
    );
  });
});
