// Readiness: is this host ready to send and receive live migrations, and if not, why and what to do.
// Each Hyper-V rule is decided by @ferry/hyperv, the functions preflight and the simulator use
// (docs/hyperv.md); readiness applies them to the host and each peer. Pure: the caller loads host and fleet.
import {
  AUTHENTICATION_STATUS,
  authentication,
  authenticationOutcome,
  authenticationTypesMatch,
  firewallRule,
  type HostFacts,
  MIGRATION_RULE,
  MIGRATION_SERVICE,
  migrationEnabled,
  migrationNetwork,
  missingDelegations,
  processor,
  SMB_RULE,
  type Status,
  sameDomain,
  subnetContains,
  usableMigrationSubnets,
  type Verdict,
} from "@ferry/hyperv";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { HostIdentity } from "../hosts/fleet.ts";
import type { CheckStatusValue } from "../shared/checks.ts";
import { firstOf, type JudgedSet, type PeerIndex, peerIndex, withStatus } from "./readiness-peers.ts";

export { MIGRATION_SERVICE };
export const LIVE_MIGRATION_RULE = MIGRATION_RULE;
export { SMB_RULE };
export const RECOMMENDED_LINK_BPS = 10_000_000_000n;

export interface ReadinessCheck {
  name: string;
  status: CheckStatusValue;
  message: string;
  remedy: string | null;
}

export interface ReadinessHost {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  cpuVendor: string;
  agentConnected: boolean;
  delegations: string[];
  delegationsKnown: boolean;
  settings: {
    enabled: boolean;
    authenticationType: string;
    performanceOption: string;
    useAnyNetworkForMigration: boolean;
  } | null;
  networks: { subnet: string; priority: number | null }[];
  firewallRules: { name: string; enabled: boolean }[];
  adapters: { name: string; linkSpeedBps: bigint; rdmaCapable: boolean; ipAddresses: string[] }[];
}

/** What readiness needs to know about every host of the fleet (hosts/fleet.ts reads it). */
export type FleetHost = HostIdentity;

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

/** "a, b, c and 4 more" */
export function names(list: string[], max = 8): string {
  return namesOf(list.length, (i) => list[i]!, max);
}

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
export function factsOf(host: ReadinessHost): HostFacts {
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
export function peerFacts(peer: FleetHost): HostFacts {
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
export function migrationAdapters(host: ReadinessHost) {
  const withIp = host.adapters.filter((a) => a.ipAddresses.length > 0);
  if (!host.settings || host.settings.useAnyNetworkForMigration) return withIp;
  const usable = usableMigrationSubnets(factsOf(host));
  return withIp.filter((a) => a.ipAddresses.some((ip) => usable.some((s) => subnetContains(s, ip))));
}

/** Does `host` have constrained delegation to both services of `peer` (short or FQDN name)? */
export function delegatesTo(delegations: string[], peer: { name: string; fqdn: string | null }): boolean {
  return missingDelegations(delegations, peer).length === 0;
}

const asCheck = (name: string, v: Verdict): ReadinessCheck => ({
  name,
  status: v.status,
  message: v.message,
  remedy: v.remedy,
});

/** A message names the first peer of a status and up to 8 others (names()). */
const NAMED = 9;

/**
 * One check from a rule applied to every peer: the worst verdict, naming the peers it concerns. `judged`
 * are sets of peers (readiness-peers.ts) with the status the rule gives each of their peers; `verdictOf(i)`
 * is the whole verdict of the peer at position i, built only for the first peer of the worst status (its
 * message leads); `label(i)` names the others.
 */
function overPeers(
  name: string,
  judged: JudgedSet[],
  peer: { verdictOf: (i: number) => Verdict; label: (i: number) => string },
  passMessage: string,
): ReadinessCheck {
  for (const status of ["FAIL", "WARN"] as const) {
    const hits = withStatus(judged, status, NAMED);
    if (hits.count > 0) {
      const first = peer.verdictOf(hits.first[0]!);
      const others =
        hits.count > 1 ? ` (also for ${namesOf(hits.count - 1, (k) => peer.label(hits.first[k + 1]!))})` : "";
      return { name, status, message: `${first.message}${others}`, remedy: first.remedy };
    }
  }
  return pass(name, passMessage);
}

/**
 * Groups of peers judged by `rule`, asked once per group (of its first peer): for rules whose verdict
 * depends on the peer only through the fact the groups share (its protocol, domain or CPU vendor; the
 * peer's name appears in the message only). `skip`: the host itself.
 */
function judgeGroups(
  groups: Iterable<readonly number[]>,
  skip: ReadonlySet<number>,
  facts: readonly HostFacts[],
  rule: (p: HostFacts) => Status,
): JudgedSet[] {
  const judged: JudgedSet[] = [];
  for (const positions of groups) {
    const first = firstOf({ positions, skip });
    if (first !== undefined) judged.push({ positions, skip, status: rule(facts[first]!) });
  }
  return judged;
}

export function computeReadiness(host: ReadinessHost, fleet: FleetHost[]): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
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
  // The peers: every host of the fleet but this one, grouped by what the rules read (readiness-peers.ts).
  const index = peerIndex(fleet, peerFacts);
  const self = new Set(index.positionsOf(host.id));
  const { facts } = index;

  checks.push(asCheck("migrationEnabled", migrationEnabled(me)));
  checks.push(asCheck("migrationNetworks", migrationNetwork(me)));
  checks.push(asCheck("liveMigrationFirewallRule", firewallRule(me, MIGRATION_RULE)));
  checks.push(
    s.performanceOption === "SMB"
      ? asCheck("smbFirewallRule", firewallRule(me, SMB_RULE))
      : pass("smbFirewallRule", `Not needed: the transport is ${s.performanceOption}, not SMB.`),
  );
  // authenticationTypesMatch's verdict depends on the peer's protocol only; peers without one are left out.
  checks.push(
    overPeers(
      "authenticationConsistent",
      judgeGroups(index.byProtocol.values(), self, facts, (p) => authenticationTypesMatch(me, p).status),
      {
        verdictOf: (i) => authenticationTypesMatch(me, facts[i]!),
        label: (i) => `${facts[i]!.name} (${facts[i]!.authenticationType})`,
      },
      `Every reporting host uses ${s.authenticationType} authentication.`,
    ),
  );
  checks.push(kerberosDelegation(me, index, self));
  // sameDomain's verdict depends on the peer's domain only.
  checks.push(
    overPeers(
      "sameDomain",
      judgeGroups(index.byDomain.values(), self, facts, (p) => sameDomain(me, p).status),
      { verdictOf: (i) => sameDomain(me, facts[i]!), label: (i) => facts[i]!.name },
      host.domain ? `Every host is in ${host.domain}.` : "No other host to compare with.",
    ),
  );
  checks.push(...linkChecks(host));
  checks.push(cpuVendorPeers(me, index, self));
  return checks;
}

/** The hosts `delegations` names ("service/host": the host part as authentication compares it), or more. */
function delegationTargets(delegations: readonly string[]): Set<string> {
  const targets = new Set<string>();
  for (const entry of delegations) {
    const slash = entry.indexOf("/");
    if (slash > 0)
      targets.add(
        entry
          .slice(slash + 1)
          .trim()
          .toLowerCase(),
      );
  }
  return targets;
}

/** Outgoing authentication from this host to every peer in its domain (the peers a Kerberos move can reach). */
function kerberosDelegation(me: HostFacts, index: PeerIndex, self: ReadonlySet<number>): ReadinessCheck {
  const { facts } = index;
  if (me.authenticationType !== "KERBEROS") {
    // The first peer's verdict: the source's protocol decides it, whoever the peer is.
    let first = 0;
    while (self.has(first)) first++;
    return asCheck("kerberosDelegation", authentication(me, facts[first] ?? me));
  }
  // Reachable: every peer from a host without a domain; else the peers without one and those of its domain.
  const myDomain = me.domain ? me.domain.toLowerCase() : null;
  const reachable = [...index.byDomainLower].filter(([d]) => !myDomain || d === null || d === myDomain);
  // authenticationOutcome reads of a peer only whether it has a domain, and its names against this
  // host's delegation entries: the peers those entries name are judged one by one, the others by group.
  const named = new Set<number>();
  if (me.delegations) {
    for (const target of delegationTargets(me.delegations)) {
      for (const i of index.byTarget.get(target) ?? []) if (!self.has(i)) named.add(i);
    }
  }
  const skip = new Set([...self, ...named]);
  const outcome = (p: HostFacts) => AUTHENTICATION_STATUS[authenticationOutcome(me, p)];
  const judged = judgeGroups(
    reachable.map(([, positions]) => positions),
    skip,
    facts,
    outcome,
  );
  const reachableNamed = [...named]
    .filter((i) => {
      const d = facts[i]!.domain;
      return !myDomain || !d || d.toLowerCase() === myDomain;
    })
    .sort((a, b) => a - b);
  const namedStatus = new Map(reachableNamed.map((i) => [i, outcome(facts[i]!)]));
  for (const status of ["PASS", "WARN", "FAIL"] as const) {
    const positions = reachableNamed.filter((i) => namedStatus.get(i) === status);
    if (positions.length > 0) judged.push({ positions, status });
  }
  return overPeers(
    "kerberosDelegation",
    judged,
    { verdictOf: (i) => authentication(me, facts[i]!), label: (i) => facts[i]!.name },
    "Constrained delegation (cifs and the migration service) is configured to every peer.",
  );
}

/** Live moves of a running VM to and from each peer (processor compatibility on, the most permissive case). */
function cpuVendorPeers(me: HostFacts, index: PeerIndex, self: ReadonlySet<number>): ReadinessCheck {
  const { facts } = index;
  const vm = { name: "a running VM", state: "RUNNING", processorCompatibilityForMigration: true };
  // processor's verdict depends on the peer's CPU vendor only.
  const judged = judgeGroups(index.byVendor.values(), self, facts, (p) => processor(vm, me, p).status);
  const ok = withStatus(judged, "PASS", NAMED - 1);
  const refused = withStatus(judged, "FAIL", NAMED - 1);
  const peers = index.size - self.size;
  if (me.cpuVendor === "OTHER") {
    return warn(
      "cpuVendorPeers",
      "The CPU vendor is unknown: live moves only work between hosts of the same vendor.",
      "Check the host's processor (Get-CimInstance Win32_Processor).",
    );
  }
  if (peers > 0 && ok.count === 0) {
    return warn(
      "cpuVendorPeers",
      `No other host has a ${me.cpuVendor} CPU: running VMs cannot move live from or to this host (not even with processor compatibility mode, which works within one vendor only).`,
      "Move VMs off this host while they are Off, or add a host with the same CPU vendor.",
    );
  }
  return pass(
    "cpuVendorPeers",
    `${me.cpuVendor}: running VMs move live to and from ${ok.count > 0 ? namesOf(ok.count, (k) => facts[ok.first[k]!]!.name) : "no other host yet"}${refused.count > 0 ? `; never to ${namesOf(refused.count, (k) => `${facts[refused.first[k]!]!.name} (${facts[refused.first[k]!]!.cpuVendor})`)}: live moves cannot cross CPU vendors, with or without processor compatibility mode` : ""}. Between CPU generations of ${me.cpuVendor}, enable processor compatibility (Set-VMProcessor -CompatibilityForMigrationEnabled, while the VM is Off).`,
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
