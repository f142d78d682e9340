// Estimates of an evacuation, pure: how fast memory crosses between two hosts, how long one move
// takes, when each move of a plan would start and end within the hosts' slot limits, and the lower
// bound no schedule can beat. These are estimates (README "Maintenance and placement"): a live
// migration copies memory over the fastest migration adapter both hosts use, about 7 Gbit/s at most
// with TCP/IP (one CPU-bound stream), twice the link (at most 9 Gbit/s) with compression, every
// adapter of that speed with SMB; storage copies at most at DISK_BYTES_PER_SECOND.
import { subnetContains } from "@ferry/hyperv";

/** A host's migration networking, as the inventory reports it. */
export interface LinkFacts {
  performanceOption: string;
  useAnyNetworkForMigration: boolean;
  migrationSubnets: string[];
  adapters: { linkSpeedBps: number; rdmaCapable: boolean; ipAddresses: string[] }[];
}

/** Sequential disk throughput assumed for storage that moves with the VM (bytes/s). */
export const DISK_BYTES_PER_SECOND = 400_000_000;
/** Connection setup and negotiation of one move. */
export const SETUP_SECONDS = 1;
/** A VM that holds no memory (Off, Saved): its configuration (and saved state) only. */
export const CONFIG_ONLY_SECONDS = 2;
/** Pages dirtied during the copy are copied again: a few percent for a typical server. */
export const RECOPY_FACTOR = 1.05;
const TCPIP_MAX_BPS = 7_000_000_000;
const COMPRESSION_MAX_BPS = 9_000_000_000;
const ONE_GBIT = 1_000_000_000;

/** The adapters Hyper-V would use: those in a migration network, or all when none is set or none matches. */
function migrationAdapters(h: LinkFacts): LinkFacts["adapters"] {
  if (h.useAnyNetworkForMigration || h.migrationSubnets.length === 0) return h.adapters;
  const inNet = h.adapters.filter((a) =>
    a.ipAddresses.some((ip) => h.migrationSubnets.some((s) => subnetContains(s, ip))),
  );
  return inNet.length > 0 ? inNet : h.adapters;
}

function fastest(adapters: LinkFacts["adapters"]) {
  const bps = adapters.reduce((m, a) => Math.max(m, a.linkSpeedBps), 0);
  const top = adapters.filter((a) => a.linkSpeedBps === bps);
  return {
    bps: bps || ONE_GBIT,
    count: Math.max(1, top.length),
    rdma: top.length > 0 && top.every((a) => a.rdmaCapable),
  };
}

/** Estimated bytes/s of memory from `source` to `dest` with the source's performance option. */
export function migrationBytesPerSecond(source: LinkFacts, dest: LinkFacts): number {
  const s = fastest(migrationAdapters(source));
  const d = fastest(migrationAdapters(dest));
  const link = Math.min(s.bps, d.bps);
  switch (source.performanceOption) {
    case "TCPIP":
      return Math.min(link, TCPIP_MAX_BPS) / 8;
    case "SMB":
      return (link * Math.min(s.count, d.count) * (s.rdma && d.rdma ? 1 : 0.9)) / 8;
    default:
      return Math.min(2 * link, COMPRESSION_MAX_BPS) / 8;
  }
}

/** What one move transfers. */
export interface MoveCost {
  /** Memory copied live (0 for a VM that holds none). */
  memoryBytes: number;
  /** Bytes of files copied with the VM (live with storage); 0 on shared storage. */
  storageBytes: number;
}

/** Estimated seconds of one move at `bytesPerSecond`. */
export function moveSeconds(cost: MoveCost, bytesPerSecond: number): number {
  const storage = cost.storageBytes / Math.min(bytesPerSecond, DISK_BYTES_PER_SECOND);
  if (cost.memoryBytes === 0) return CONFIG_ONLY_SECONDS + storage;
  return SETUP_SECONDS + storage + (cost.memoryBytes / bytesPerSecond) * RECOPY_FACTOR;
}

/** The least time the transfer itself takes (no setup, no re-copy): the lower bound's unit. */
export function transferSeconds(cost: MoveCost, bytesPerSecond: number): number {
  return (
    cost.memoryBytes / bytesPerSecond + cost.storageBytes / Math.min(bytesPerSecond, DISK_BYTES_PER_SECOND)
  );
}

export interface TimedMove {
  destinationHostId: string;
  seconds: number;
}

export interface Timeline {
  /** Per move (input order): estimated start and end, seconds from the first start. */
  startAt: number[];
  endAt: number[];
  /** When the last move ends. */
  totalSeconds: number;
}

/**
 * When each move (in queue order) would start and end: the queue starts moves in order (no
 * overtaking) whenever the source has a free slot and the destination has one.
 */
export function simulateQueue(
  moves: TimedMove[],
  sourceSlots: number,
  destinationSlots: (hostId: string) => number,
): Timeline {
  const source = new Array<number>(Math.max(1, sourceSlots)).fill(0);
  const dests = new Map<string, number[]>();
  const startAt: number[] = [];
  const endAt: number[] = [];
  let previousStart = 0;
  for (const m of moves) {
    let slots = dests.get(m.destinationHostId);
    if (!slots) {
      slots = new Array<number>(Math.max(1, destinationSlots(m.destinationHostId))).fill(0);
      dests.set(m.destinationHostId, slots);
    }
    const s = source.indexOf(Math.min(...source));
    const d = slots.indexOf(Math.min(...slots));
    const start = Math.max(previousStart, source[s]!, slots[d]!);
    const end = start + m.seconds;
    source[s] = end;
    slots[d] = end;
    startAt.push(start);
    endAt.push(end);
    previousStart = start;
  }
  return { startAt, endAt, totalSeconds: endAt.length ? Math.max(...endAt) : 0 };
}

/**
 * The start order for the queue: longest first, except that a move whose destination has no free
 * slot yet gives way to the longest one that can start sooner (the queue does not overtake, so a
 * blocked move at the head would hold every source slot behind it). Returns indexes into `moves`.
 */
export function queueOrder(
  moves: TimedMove[],
  sourceSlots: number,
  destinationSlots: (hostId: string) => number,
): number[] {
  const byLength = moves.map((_, i) => i).sort((a, b) => moves[b]!.seconds - moves[a]!.seconds);
  const source = new Array<number>(Math.max(1, sourceSlots)).fill(0);
  const dests = new Map<string, number[]>();
  const slotsOf = (id: string) => {
    let slots = dests.get(id);
    if (!slots) {
      slots = new Array<number>(Math.max(1, destinationSlots(id))).fill(0);
      dests.set(id, slots);
    }
    return slots;
  };
  const order: number[] = [];
  let previousStart = 0;
  while (byLength.length > 0) {
    const sourceFree = Math.min(...source);
    let best = 0;
    let bestStart = Number.POSITIVE_INFINITY;
    byLength.forEach((i, k) => {
      const start = Math.max(previousStart, sourceFree, Math.min(...slotsOf(moves[i]!.destinationHostId)));
      if (start < bestStart) {
        bestStart = start;
        best = k;
      }
    });
    const i = byLength.splice(best, 1)[0]!;
    const slots = slotsOf(moves[i]!.destinationHostId);
    const end = bestStart + moves[i]!.seconds;
    source[source.indexOf(sourceFree)] = end;
    slots[slots.indexOf(Math.min(...slots))] = end;
    previousStart = bestStart;
    order.push(i);
  }
  return order;
}

/**
 * The time no schedule can beat: everything to transfer ÷ what the hosts' limits and links allow at
 * once (min(source slots, destination slots) moves at the fastest rate from the source), and never
 * less than the longest single transfer.
 */
export function lowerBoundSeconds(
  transfers: { seconds: number }[],
  sourceSlots: number,
  destinationSlotsTotal: number,
): number {
  if (transfers.length === 0) return 0;
  const lanes = Math.max(1, Math.min(sourceSlots, destinationSlotsTotal));
  const sum = transfers.reduce((s, t) => s + t.seconds, 0);
  return Math.max(sum / lanes, ...transfers.map((t) => t.seconds));
}
