// computeReadiness asks each peer rule once per group of peers that share what the rule reads (protocol,
// domain, CPU vendor; for Kerberos delegation, also the peers the host's entries name) and lists only the
// peers a message names (readiness-peers.ts). These tests hold it to the computation it replaced, kept
// frozen below (computeReadinessV1: every rule over every peer), check for check (name, status, message,
// remedy), on random fleets built to reach every branch.
import {
  AUTHENTICATION_STATUS,
  authentication,
  authenticationOutcome,
  authenticationTypesMatch,
  firewallRule,
  type HostFacts,
  MIGRATION_RULE,
  migrationEnabled,
  migrationNetwork,
  processor,
  SMB_RULE,
  type Status,
  sameDomain,
  subnetContains,
  usableMigrationSubnets,
  type Verdict,
} from "@ferry/hyperv";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import type { FleetHost, ReadinessCheck, ReadinessHost } from "./readiness.ts";
import { computeReadiness } from "./readiness.ts";

/** Park-Miller: the same fleets on every run (the seed spread first: small seeds start small). */
function random(seed: number) {
  let s = (seed * 2654435761) % 2147483647 || 1;
  const next = () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
  return {
    next,
    chance: (p: number) => next() < p,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
  };
}
type Random = ReturnType<typeof random>;

const DOMAINS = ["corp.local", "CORP.LOCAL", "Corp.Local", "lab.local", "", null] as const;
const VENDORS = ["INTEL", "AMD", "OTHER"] as const;
const PROTOCOLS = ["KERBEROS", "CREDSSP", null] as const;
const SERVICES = [
  "cifs",
  "CIFS",
  "Microsoft Virtual System Migration Service",
  "microsoft virtual system migration service",
  "HTTP",
] as const;

const recase = (r: Random, text: string) =>
  r.chance(0.5) ? text : r.chance(0.5) ? text.toUpperCase() : text.toLowerCase();

/** A delegation entry for `target`, well-formed or not (spaces, a port, no service, no host). */
function entry(r: Random, target: string): string {
  const service = r.pick(SERVICES);
  const variant = r.int(10);
  if (variant === 0) return ` ${service} / ${target} `;
  if (variant === 1) return `${service}/${target}:445`;
  if (variant === 2) return `/${target}`;
  if (variant === 3) return `${service}/`;
  if (variant === 4) return `${service}${target}`;
  return `${service}/${target}`;
}

function fleetOf(seed: number): { fleet: FleetHost[]; hosts: ReadinessHost[] } {
  const r = random(seed);
  // Mostly small fleets (every branch), one in eight large (long "also for" lists, many names).
  const size = seed % 8 === 0 ? 30 + r.int(60) : 1 + r.int(24);
  // A few kinds of host per fleet, as real fleets are (long runs of one kind), or any mix.
  const uniform = r.chance(0.5);
  const base = { domain: r.pick(DOMAINS), cpuVendor: r.pick(VENDORS), protocol: r.pick(PROTOCOLS) };
  const fleet: FleetHost[] = Array.from({ length: size }, (_, i) => {
    const domain = uniform && r.chance(0.85) ? base.domain : r.pick(DOMAINS);
    const name =
      r.chance(0.05) && i > 0 ? `hv-${String(i - 1).padStart(2, "0")}` : `HV-${String(i).padStart(2, "0")}`;
    return {
      id: `h${i}`,
      name,
      fqdn: domain && r.chance(0.7) ? `${name.toLowerCase()}.${domain}` : r.chance(0.1) ? "" : null,
      domain,
      cpuVendor: uniform && r.chance(0.85) ? base.cpuVendor : r.pick(VENDORS),
      authenticationType: uniform && r.chance(0.85) ? base.protocol : r.pick(PROTOCOLS),
    };
  });
  // The fleet in any order (the product's is by name), sometimes with an id twice or a host missing
  // (a fleet read before the host enrolled).
  for (let i = fleet.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [fleet[i], fleet[j]] = [fleet[j]!, fleet[i]!];
  }
  if (r.chance(0.05) && fleet.length > 1) fleet.push({ ...fleet[0]!, name: `${fleet[0]!.name}-again` });
  const members = [...fleet];
  if (r.chance(0.1)) members.push({ ...fleet[0]!, id: "new", name: "HV-NEW" });
  const hosts = members.map((f): ReadinessHost => {
    const delegations: string[] = [];
    const everyone = r.chance(0.3);
    for (const peer of fleet) {
      if (!everyone && !r.chance(0.3)) continue;
      const targets = [peer.name, ...(peer.fqdn ? [peer.fqdn] : [])];
      const count = everyone ? 2 : 1 + r.int(3);
      for (let k = 0; k < count; k++) {
        const target = recase(r, r.pick(targets));
        delegations.push(
          everyone
            ? `${k === 0 ? "cifs" : "Microsoft Virtual System Migration Service"}/${target}`
            : entry(r, target),
        );
      }
    }
    if (r.chance(0.2)) delegations.push("garbage", entry(r, "nobody.corp.local"));
    const stale = r.chance(0.1);
    return {
      ...f,
      domain: stale ? r.pick(DOMAINS) : f.domain,
      cpuVendor: stale ? r.pick(VENDORS) : f.cpuVendor,
      agentConnected: r.chance(0.9),
      delegations,
      delegationsKnown: r.chance(0.85),
      settings: r.chance(0.05)
        ? null
        : {
            enabled: r.chance(0.9),
            authenticationType:
              (stale ? null : f.authenticationType) ?? r.pick(["KERBEROS", "CREDSSP"] as const),
            performanceOption: r.pick(["COMPRESSION", "SMB", "TCPIP"] as const),
            useAnyNetworkForMigration: r.chance(0.5),
          },
      networks: r.chance(0.5) ? [{ subnet: "10.0.0.0/24", priority: 1 }] : [],
      firewallRules: [
        { name: "Hyper-V Replica HTTP Listener (TCP-In)", enabled: r.chance(0.5) },
        { name: "File and Printer Sharing (SMB-In)", enabled: r.chance(0.5) },
      ],
      adapters: r.chance(0.7)
        ? [
            {
              name: "Ethernet",
              linkSpeedBps: r.chance(0.5) ? 10_000_000_000n : 1_000_000_000n,
              rdmaCapable: r.chance(0.5),
              ipAddresses: [r.chance(0.5) ? "10.0.0.5" : "192.168.1.5"],
            },
          ]
        : [],
    };
  });
  return { fleet, hosts };
}

const PEER_CHECKS = ["authenticationConsistent", "kerberosDelegation", "sameDomain", "cpuVendorPeers"];

describe("computeReadiness per group of peers = every rule over every peer (the frozen computation)", () => {
  it("gives the same checks (name, status, message, remedy) on 200 random fleets", () => {
    let hosts = 0;
    const reached = new Set<string>();
    const longLists = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const { fleet, hosts: members } = fleetOf(seed);
      for (const host of members) {
        const expected = computeReadinessV1(host, fleet);
        const checks = computeReadiness(host, fleet);
        expect(checks, `seed ${seed}, host ${host.id}`).toEqual(expected);
        hosts++;
        for (const c of checks) {
          if (!PEER_CHECKS.includes(c.name)) continue;
          reached.add(`${c.name}:${c.status}`);
          if (/ and \d+ more/.test(c.message)) longLists.add(c.name);
        }
      }
    }
    expect(hosts).toBeGreaterThan(3000);
    // The fleets reach every outcome of the peer checks, and lists past 8 names in each of them.
    expect([...reached].sort()).toEqual(
      [
        "authenticationConsistent:PASS",
        "authenticationConsistent:WARN",
        "cpuVendorPeers:PASS",
        "cpuVendorPeers:WARN",
        "kerberosDelegation:FAIL",
        "kerberosDelegation:PASS",
        "kerberosDelegation:WARN",
        "sameDomain:PASS",
        "sameDomain:WARN",
      ].sort(),
    );
    expect([...longLists].sort()).toEqual([...PEER_CHECKS].sort());
  });

  it("gives the same checks for hosts of a 2,000-host fleet (one fleet object for all, as a reaction batch)", () => {
    const r = random(7);
    const fleet: FleetHost[] = Array.from({ length: 2000 }, (_, i) => ({
      id: `h${i}`,
      name: `HV-${String(i).padStart(4, "0")}`,
      fqdn:
        i % 3 === 0 ? null : `hv-${String(i).padStart(4, "0")}.${i % 50 === 0 ? "lab.local" : "corp.local"}`,
      domain: i % 50 === 0 ? "lab.local" : i % 97 === 0 ? null : "corp.local",
      cpuVendor: i % 7 === 0 ? "AMD" : i % 301 === 0 ? "OTHER" : "INTEL",
      authenticationType: i % 11 === 0 ? "CREDSSP" : i % 13 === 0 ? null : "KERBEROS",
    }));
    for (let k = 0; k < 20; k++) {
      const f = fleet[r.int(fleet.length)]!;
      const delegated = fleet.filter(() => r.chance(0.5));
      const host: ReadinessHost = {
        ...f,
        agentConnected: true,
        delegations: delegated.flatMap((p) => [
          `cifs/${p.name}`,
          `Microsoft Virtual System Migration Service/${r.chance(0.5) && p.fqdn ? p.fqdn : p.name}`,
        ]),
        delegationsKnown: k % 5 !== 0,
        settings: {
          enabled: true,
          authenticationType: f.authenticationType ?? "KERBEROS",
          performanceOption: "SMB",
          useAnyNetworkForMigration: true,
        },
        networks: [],
        firewallRules: [],
        adapters: [],
      };
      expect(computeReadiness(host, fleet), host.name).toEqual(computeReadinessV1(host, fleet));
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// computeReadiness as it was before issue 16's seventh session (main at 1283cdd), frozen: every host
// against every peer (a filter, a facts list and a status per peer and rule), the reference that
// the tests above hold today's per-group computation to, check for check. Not product
// code; do not change it to follow the product.

const RECOMMENDED_LINK_BPS = 10_000_000_000n;

const pass = (name: string, message: string): ReadinessCheck => ({
  name,
  status: "PASS",
  message,
  remedy: null,
});
const warn = (name: string, message: string, remedy: string | null): ReadinessCheck => ({
  name,
  status: "WARN",
  message,
  remedy,
});
const fail = (name: string, message: string, remedy: string): ReadinessCheck => ({
  name,
  status: "FAIL",
  message,
  remedy,
});

/** names() of `count` items, labelling only those it shows. */
function namesOf(count: number, label: (i: number) => string, max = 8): string {
  const shown = Array.from({ length: Math.min(count, max) }, (_, i) => label(i));
  return count <= max ? shown.join(", ") : `${shown.join(", ")} and ${count - max} more`;
}

function gbps(bps: bigint): string {
  const value = Number(bps) / 1e9;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} Gbps`;
}

/** The rule inputs readiness has for a host (memory and VM versions do not matter here). */
function factsOf(host: ReadinessHost): HostFacts {
  const s = host.settings;
  return {
    name: host.name,
    apiId: encodeGlobalID("Host", host.id),
    fqdn: host.fqdn,
    domain: host.domain,
    cpuVendor: host.cpuVendor,
    migrationEnabled: s?.enabled ?? false,
    authenticationType: s?.authenticationType ?? "CREDSSP",
    performanceOption: s?.performanceOption ?? "COMPRESSION",
    useAnyNetworkForMigration: s?.useAnyNetworkForMigration ?? true,
    migrationSubnets: host.networks.map((n) => n.subnet),
    adapterAddresses: host.adapters.flatMap((a) => a.ipAddresses),
    delegations: host.delegationsKnown ? host.delegations : null,
    switches: [],
    firewallRules: host.firewallRules,
    memoryAvailableBytes: 0n,
    supportedVmVersions: [],
  };
}

// A request computes readiness for every host it lists against the same fleet objects: each peer's
// facts are built once per fleet, not once per host and peer (50 hosts: 50 instead of 2,450).
const peerFactsOf = new WeakMap<FleetHost, HostFacts>();

/** A peer as the rules see it: identity, domain, protocol and vendor are all readiness knows. */
function peerFacts(peer: FleetHost): HostFacts {
  let facts = peerFactsOf.get(peer);
  if (!facts) {
    facts = buildPeerFacts(peer);
    peerFactsOf.set(peer, facts);
  }
  return facts;
}

function buildPeerFacts(peer: FleetHost): HostFacts {
  return {
    ...factsOf({
      ...peer,
      agentConnected: true,
      delegations: [],
      delegationsKnown: false,
      settings: null,
      networks: [],
      firewallRules: [],
      adapters: [],
    }),
    authenticationType: peer.authenticationType ?? "CREDSSP",
  };
}

/** Adapters live migration uses: those with an address in a usable migration network, or all when any network is allowed. */
function migrationAdapters(host: ReadinessHost) {
  const withIp = host.adapters.filter((a) => a.ipAddresses.length > 0);
  if (!host.settings || host.settings.useAnyNetworkForMigration) return withIp;
  const usable = usableMigrationSubnets(factsOf(host));
  return withIp.filter((a) => a.ipAddresses.some((ip) => usable.some((s) => subnetContains(s, ip))));
}

const asCheck = (name: string, v: Verdict): ReadinessCheck => ({
  name,
  status: v.status,
  message: v.message,
  remedy: v.remedy,
});

/**
 * One check from a rule applied to every peer: the worst verdict, naming the peers it concerns.
 * `statusOf(i)` is peer i's status; `verdictOf(i)` its whole verdict, built only for the first peer
 * of the worst status (its message leads); `label(i)` names the others. A fleet of N hosts asks
 * N² statuses: they must be cheap, the messages are not.
 */
function overPeers(
  name: string,
  count: number,
  peer: { statusOf: (i: number) => Status; verdictOf: (i: number) => Verdict; label: (i: number) => string },
  passMessage: string,
): ReadinessCheck {
  for (const status of ["FAIL", "WARN"] as const) {
    const hits = indicesWith(count, peer.statusOf, status);
    if (hits.length) {
      const first = peer.verdictOf(hits[0]!);
      const others =
        hits.length > 1 ? ` (also for ${namesOf(hits.length - 1, (k) => peer.label(hits[k + 1]!))})` : "";
      return { name, status, message: `${first.message}${others}`, remedy: first.remedy };
    }
  }
  return pass(name, passMessage);
}

function indicesWith(count: number, statusOf: (i: number) => Status, status: Status): number[] {
  const hits: number[] = [];
  for (let i = 0; i < count; i++) if (statusOf(i) === status) hits.push(i);
  return hits;
}

/**
 * Peer i's status under `rule`, evaluated once per distinct `keyOf(peer)`: for rules whose verdict
 * depends on the peer only through that key (its protocol, domain or CPU vendor; the peer's name
 * appears in the message only), so a fleet of a few kinds of host costs a few rule calls per host.
 */
function statusByKey<K>(
  peers: HostFacts[],
  keyOf: (p: HostFacts) => K,
  rule: (p: HostFacts) => Verdict,
): (i: number) => Status {
  const byKey = new Map<K, Status>();
  return (i) => {
    const key = keyOf(peers[i]!);
    let status = byKey.get(key);
    if (status === undefined) {
      status = rule(peers[i]!).status;
      byKey.set(key, status);
    }
    return status;
  };
}

export function computeReadinessV1(host: ReadinessHost, fleet: FleetHost[]): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  const others = fleet.filter((h) => h.id !== host.id);
  const s = host.settings;

  checks.push(
    host.agentConnected
      ? pass("agentConnected", "The host's Ferry agent is connected.")
      : fail(
          "agentConnected",
          "The host's Ferry agent is not connected: Ferry cannot configure or move VMs on it, and what it shows may be stale.",
          "Start the Ferry agent service on the host and check that it can reach the API.",
        ),
  );
  if (!s) {
    checks.push(
      fail(
        "inventoryReported",
        "The agent has not reported the host's settings yet.",
        "Wait for the agent's first inventory report.",
      ),
    );
    return checks;
  }
  const me = factsOf(host);

  checks.push(asCheck("migrationEnabled", migrationEnabled(me)));
  checks.push(asCheck("migrationNetworks", migrationNetwork(me)));
  checks.push(asCheck("liveMigrationFirewallRule", firewallRule(me, MIGRATION_RULE)));
  checks.push(
    s.performanceOption === "SMB"
      ? asCheck("smbFirewallRule", firewallRule(me, SMB_RULE))
      : pass("smbFirewallRule", `Not needed: the transport is ${s.performanceOption}, not SMB.`),
  );
  // authenticationTypesMatch's verdict depends on the peer's protocol only.
  const reporting = others.filter((p) => p.authenticationType !== null).map(peerFacts);
  const protocols = (p: HostFacts) => authenticationTypesMatch(me, p);
  checks.push(
    overPeers(
      "authenticationConsistent",
      reporting.length,
      {
        statusOf: statusByKey(reporting, (p) => p.authenticationType, protocols),
        verdictOf: (i) => protocols(reporting[i]!),
        label: (i) => `${reporting[i]!.name} (${reporting[i]!.authenticationType})`,
      },
      `Every reporting host uses ${s.authenticationType} authentication.`,
    ),
  );
  const facts = others.map(peerFacts);
  checks.push(kerberosDelegation(me, facts));
  // sameDomain's verdict depends on the peer's domain only.
  const domains = (p: HostFacts) => sameDomain(me, p);
  checks.push(
    overPeers(
      "sameDomain",
      facts.length,
      {
        statusOf: statusByKey(facts, (p) => p.domain, domains),
        verdictOf: (i) => domains(facts[i]!),
        label: (i) => facts[i]!.name,
      },
      host.domain ? `Every host is in ${host.domain}.` : "No other host to compare with.",
    ),
  );
  checks.push(...linkChecks(host));
  checks.push(cpuVendorPeers(me, facts));
  return checks;
}

/** Outgoing authentication from this host to every peer in its domain (the peers a Kerberos move can reach). */
function kerberosDelegation(me: HostFacts, peers: HostFacts[]): ReadinessCheck {
  if (me.authenticationType !== "KERBEROS") {
    return asCheck("kerberosDelegation", authentication(me, peers[0] ?? me));
  }
  const reachable = peers.filter(
    (p) => !me.domain || !p.domain || p.domain.toLowerCase() === me.domain.toLowerCase(),
  );
  return overPeers(
    "kerberosDelegation",
    reachable.length,
    {
      statusOf: (i) => AUTHENTICATION_STATUS[authenticationOutcome(me, reachable[i]!)],
      verdictOf: (i) => authentication(me, reachable[i]!),
      label: (i) => reachable[i]!.name,
    },
    "Constrained delegation (cifs and the migration service) is configured to every peer.",
  );
}

/** Live moves of a running VM to and from each peer (processor compatibility on, the most permissive case). */
function cpuVendorPeers(me: HostFacts, peers: HostFacts[]): ReadinessCheck {
  const vm = { name: "a running VM", state: "RUNNING", processorCompatibilityForMigration: true };
  // processor's verdict depends on the peer's CPU vendor only.
  const statusOf = statusByKey(
    peers,
    (p) => p.cpuVendor,
    (p) => processor(vm, me, p),
  );
  const ok = indicesWith(peers.length, statusOf, "PASS");
  const refused = indicesWith(peers.length, statusOf, "FAIL");
  if (me.cpuVendor === "OTHER") {
    return warn(
      "cpuVendorPeers",
      "The CPU vendor is unknown: live moves only work between hosts of the same vendor.",
      "Check the host's processor (Get-CimInstance Win32_Processor).",
    );
  }
  if (peers.length > 0 && ok.length === 0) {
    return warn(
      "cpuVendorPeers",
      `No other host has a ${me.cpuVendor} CPU: running VMs cannot move live from or to this host (not even with processor compatibility mode, which works within one vendor only).`,
      "Move VMs off this host while they are Off, or add a host with the same CPU vendor.",
    );
  }
  return pass(
    "cpuVendorPeers",
    `${me.cpuVendor}: running VMs move live to and from ${ok.length > 0 ? namesOf(ok.length, (k) => peers[ok[k]!]!.name) : "no other host yet"}${refused.length > 0 ? `; never to ${namesOf(refused.length, (k) => `${peers[refused[k]!]!.name} (${peers[refused[k]!]!.cpuVendor})`)}: live moves cannot cross CPU vendors, with or without processor compatibility mode` : ""}. Between CPU generations of ${me.cpuVendor}, enable processor compatibility (Set-VMProcessor -CompatibilityForMigrationEnabled, while the VM is Off).`,
  );
}

function linkChecks(host: ReadinessHost): ReadinessCheck[] {
  const s = host.settings!;
  const checks: ReadinessCheck[] = [];
  const adapters = migrationAdapters(host);
  if (adapters.length === 0) {
    checks.push(
      warn(
        "migrationLinkSpeed",
        "No network adapter has an address in the migration networks.",
        "Check the migration networks against the adapters' addresses.",
      ),
    );
  } else {
    const slow = adapters.filter((a) => a.linkSpeedBps < RECOMMENDED_LINK_BPS);
    checks.push(
      slow.length === 0
        ? pass(
            "migrationLinkSpeed",
            `Migration adapters: ${adapters.map((a) => `${a.name} ${gbps(a.linkSpeedBps)}`).join(", ")}.`,
          )
        : warn(
            "migrationLinkSpeed",
            `Migration adapter ${slow.map((a) => `${a.name} (${gbps(a.linkSpeedBps)})`).join(", ")} is below 10 Gbps: moves take much longer.`,
            "Use a 10 Gbps (or faster) adapter for the migration network.",
          ),
    );
  }
  if (s.performanceOption === "SMB") {
    const rdma = adapters.filter((a) => a.rdmaCapable);
    checks.push(
      rdma.length > 0
        ? pass("smbRdma", `SMB transport with RDMA-capable ${rdma.map((a) => a.name).join(", ")}.`)
        : warn(
            "smbRdma",
            "SMB transport is chosen but no migration adapter is RDMA-capable: SMB Direct cannot be used.",
            "Use COMPRESSION (updateMigrationSettings performanceOption: COMPRESSION) or RDMA-capable adapters.",
          ),
    );
  } else {
    checks.push(pass("smbRdma", `Not needed: the transport is ${s.performanceOption}.`));
  }
  return checks;
}
