// Readiness compares a host with every peer of the fleet (configuration/readiness.ts). The rules it applies
// to a peer read only a few of its facts (protocol, domain, CPU vendor; Kerberos delegation also its names),
// so peers sharing those facts get the same status. A fleet's index groups its peers by each such fact, in
// fleet order, once per fleet object; a host's check then asks the rule once per group and lists only the
// few peers its message names: O(groups + names shown) per host instead of O(fleet), so a batch of hosts
// costs linear, not quadratic, time in the fleet (issue 16: 1,000 hosts against 2,000 peers per batch).
import type { HostFacts, Status } from "@ferry/hyperv";
import type { HostIdentity as FleetHost } from "../hosts/fleet.ts";

/** Peers sharing one value of a fact: their positions in the fleet, ascending. */
export type PeerGroup = readonly number[];

export interface PeerIndex {
  readonly size: number;
  /** Each peer's facts as the rules see them (readiness.ts peerFacts), by position. */
  readonly facts: readonly HostFacts[];
  /** Positions of the entries with this id (the host itself: one, or none when the fleet predates it). */
  positionsOf(id: string): readonly number[];
  /** The peers that report a protocol (authenticationType not null), by protocol. */
  readonly byProtocol: ReadonlyMap<string, PeerGroup>;
  /** Every peer by its domain as stored. */
  readonly byDomain: ReadonlyMap<string | null, PeerGroup>;
  /** Every peer by its lower-cased domain; peers without one (null or "") under null. */
  readonly byDomainLower: ReadonlyMap<string | null, PeerGroup>;
  /** Every peer by CPU vendor. */
  readonly byVendor: ReadonlyMap<string, PeerGroup>;
  /** Peers by lower-cased name and by lower-cased FQDN (a peer appears under both). */
  readonly byTarget: ReadonlyMap<string, PeerGroup>;
}

// Keyed by the fleet array: fleets are replaced, never changed in place (a request's loadFleet, the
// readiness signal's cached fleet). A changed length is rebuilt, as a guard.
const indexes = new WeakMap<readonly FleetHost[], PeerIndex>();

/** The index of `fleet` (built once per fleet object); `factsOf` gives a peer's facts (readiness.ts peerFacts). */
export function peerIndex(fleet: readonly FleetHost[], factsOf: (peer: FleetHost) => HostFacts): PeerIndex {
  let index = indexes.get(fleet);
  if (!index || index.size !== fleet.length) {
    index = buildIndex(fleet, factsOf);
    indexes.set(fleet, index);
  }
  return index;
}

function add<K>(map: Map<K, number[]>, key: K, position: number) {
  const group = map.get(key);
  if (group) {
    if (group[group.length - 1] !== position) group.push(position);
  } else map.set(key, [position]);
}

function buildIndex(fleet: readonly FleetHost[], factsOf: (peer: FleetHost) => HostFacts): PeerIndex {
  const facts = fleet.map(factsOf);
  const byId = new Map<string, number[]>();
  const byProtocol = new Map<string, number[]>();
  const byDomain = new Map<string | null, number[]>();
  const byDomainLower = new Map<string | null, number[]>();
  const byVendor = new Map<string, number[]>();
  const byTarget = new Map<string, number[]>();
  fleet.forEach((peer, i) => {
    const f = facts[i]!;
    add(byId, peer.id, i);
    if (peer.authenticationType !== null) add(byProtocol, f.authenticationType, i);
    add(byDomain, f.domain, i);
    add(byDomainLower, f.domain ? f.domain.toLowerCase() : null, i);
    add(byVendor, f.cpuVendor, i);
    add(byTarget, f.name.toLowerCase(), i);
    if (f.fqdn) add(byTarget, f.fqdn.toLowerCase(), i);
  });
  return {
    size: fleet.length,
    facts,
    positionsOf: (id) => byId.get(id) ?? [],
    byProtocol,
    byDomain,
    byDomainLower,
    byVendor,
    byTarget,
  };
}

/** A set of peers in fleet order: groups without the positions in `skip`, or a list taken whole. */
export interface PeerSet {
  readonly positions: readonly number[];
  readonly skip?: ReadonlySet<number>;
}

/** Is `position` in the ascending `positions`? */
function contains(positions: readonly number[], position: number): boolean {
  let lo = 0;
  let hi = positions.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = positions[mid]!;
    if (p === position) return true;
    if (p < position) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** How many peers `set` holds. */
function countOf(set: PeerSet): number {
  let count = set.positions.length;
  if (set.skip) for (const s of set.skip) if (contains(set.positions, s)) count--;
  return count;
}

/** The first peer of `set` (fleet order), or undefined. */
export function firstOf(set: PeerSet): number | undefined {
  for (const p of set.positions) if (!set.skip?.has(p)) return p;
  return undefined;
}

/** The union of disjoint `sets`: how many peers, and the first `limit` of them in fleet order. */
export function unionOf(sets: readonly PeerSet[], limit: number): { count: number; first: number[] } {
  let count = 0;
  for (const s of sets) count += countOf(s);
  const cursors = sets.map(() => 0);
  const first: number[] = [];
  while (first.length < Math.min(limit, count)) {
    let best = -1;
    let bestPosition = Number.POSITIVE_INFINITY;
    sets.forEach(({ positions, skip }, k) => {
      let c = cursors[k]!;
      while (c < positions.length && skip?.has(positions[c]!)) c++;
      cursors[k] = c;
      if (c < positions.length && positions[c]! < bestPosition) {
        best = k;
        bestPosition = positions[c]!;
      }
    });
    first.push(bestPosition);
    cursors[best] = cursors[best]! + 1;
  }
  return { count, first };
}

/** A set of peers with the status its rule gives every one of them. */
export interface JudgedSet extends PeerSet {
  readonly status: Status;
}

/** The sets of `status` among `judged`: how many peers, and the first `limit`. */
export function withStatus(judged: readonly JudgedSet[], status: Status, limit: number) {
  return unionOf(
    judged.filter((j) => j.status === status),
    limit,
  );
}
