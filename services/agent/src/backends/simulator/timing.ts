// How long moves take and how their progress advances (docs/hyperv.md "Simulator numbers"). Durations are in
// simulated seconds; the world's timeScale turns them into clock milliseconds.
import type { NetworkAdapter, PerformanceOption } from "../types.ts";
import type { HostDefinition } from "../world.ts";
import { between, rng } from "./rng.ts";

/** Connection setup and negotiation before memory copy starts. */
export const SETUP_SECONDS = 1;
/** Copying a powered-off VM's configuration. */
export const CONFIG_ONLY_SECONDS = 2;
/** Sequential disk throughput of a storage move (bytes/s). */
export const DISK_BYTES_PER_SECOND = 400_000_000;
/** TCP/IP live migration is CPU-bound on fast links (one stream). */
const TCPIP_MAX_BPS = 7_000_000_000;
/** Compression trades CPU for bandwidth: about double TCP/IP's effective rate, CPU-bound above. */
const COMPRESSION_MAX_BPS = 9_000_000_000;

function ipv4ToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Whether an IPv4 address lies in a CIDR subnet (IPv6 subnets never match: adapters fall back). */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const a = ipv4ToInt(ip);
  const n = ipv4ToInt(net ?? "");
  if (a === null || n === null || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (n & mask) >>> 0;
}

/** Adapters Hyper-V would use for migration: those in a migration network, or all when none match. */
export function migrationAdapters(host: HostDefinition): NetworkAdapter[] {
  const s = host.settings;
  if (s.useAnyNetworkForMigration || s.networks.length === 0) return host.networkAdapters;
  const inNet = host.networkAdapters.filter((a) =>
    a.ipAddresses.some((ip) => s.networks.some((n) => inSubnet(ip, n.subnet))),
  );
  return inNet.length > 0 ? inNet : host.networkAdapters;
}

function fastest(adapters: NetworkAdapter[]): { bps: number; count: number; rdma: boolean } {
  let bps = 0;
  for (const a of adapters) bps = Math.max(bps, Number(a.linkSpeedBps));
  const top = adapters.filter((a) => Number(a.linkSpeedBps) === bps);
  return {
    bps: bps || 1_000_000_000,
    count: Math.max(1, top.length),
    rdma: top.length > 0 && top.every((a) => a.rdmaCapable),
  };
}

/** Effective bytes/s of memory transfer between two hosts with the source's performance option. */
export function migrationBytesPerSecond(
  source: HostDefinition,
  destination: HostDefinition,
  option: PerformanceOption,
): number {
  const s = fastest(migrationAdapters(source));
  const d = fastest(migrationAdapters(destination));
  const link = Math.min(s.bps, d.bps);
  switch (option) {
    case "TCPIP":
      return Math.min(link, TCPIP_MAX_BPS) / 8;
    case "COMPRESSION":
      return Math.min(2 * link, COMPRESSION_MAX_BPS) / 8;
    case "SMB": {
      // SMB Multichannel uses every adapter at top speed; SMB Direct (RDMA) adds little CPU overhead.
      const channels = Math.min(s.count, d.count);
      const efficiency = s.rdma && d.rdma ? 1 : 0.9;
      return (link * channels * efficiency) / 8;
    }
  }
}

export interface MoveTiming {
  /** Total simulated seconds from start to completion. */
  seconds: number;
  blackoutSeconds: number;
}

/**
 * Live migration: setup + memory ÷ throughput × (1 + pre-copy passes for dirtied pages) + blackout.
 * Storage (when included) is copied first at min(network, disk) speed. 8 GiB over TCP/IP on 1 GbE ≈ 70 s.
 */
export function liveMoveTiming(opts: {
  memoryBytes: number;
  running: boolean;
  cpuUsage: number;
  storageBytes: number;
  bytesPerSecond: number;
  seed: number;
}): MoveTiming {
  const r = rng(opts.seed);
  const storage = opts.storageBytes / Math.min(opts.bytesPerSecond, DISK_BYTES_PER_SECOND);
  if (!opts.running) {
    // Off or saved: configuration (and saved state) only, no pre-copy.
    const seconds =
      CONFIG_ONLY_SECONDS * between(r, 0.8, 1.3) + opts.memoryBytes / opts.bytesPerSecond + storage;
    return { seconds, blackoutSeconds: 0 };
  }
  // Pages dirtied during each pass get copied again, up to 5 passes.
  const dirty = Math.min(0.5, (0.01 + (opts.cpuUsage / 100) * 0.1) * between(r, 0.7, 1.3));
  let passes = 0;
  for (let k = 1, f = dirty; k <= 5; k++, f *= dirty) passes += f;
  const copy = (opts.memoryBytes / opts.bytesPerSecond) * (1 + passes);
  const blackoutSeconds = between(r, 0.05, 0.4) + (opts.memoryBytes / 2 ** 30) * between(r, 0.01, 0.05);
  return {
    seconds: SETUP_SECONDS * between(r, 0.8, 1.5) + storage + copy + blackoutSeconds,
    blackoutSeconds,
  };
}

/** Move-VMStorage on one host: setup + bytes ÷ disk throughput. */
export function storageMoveSeconds(bytes: number, seed: number): number {
  const r = rng(seed);
  return SETUP_SECONDS * between(r, 0.8, 1.5) + (bytes / DISK_BYTES_PER_SECOND) * between(r, 0.9, 1.15);
}

/** Clock milliseconds for simulated seconds. */
export function toClockMs(simSeconds: number, timeScale: number): number {
  return Math.max(1, Math.round((simSeconds * 1000) / timeScale));
}

/**
 * A job's progress curve: piecewise linear through seeded breakpoints, strictly increasing, from
 * (0, 0) to (1, 100). Recomputed from the seed so nothing but the seed is stored.
 */
export function progressCurve(seed: number): { t: number[]; p: number[] } {
  const r = rng(seed);
  const n = 6;
  const ts: number[] = [];
  const ps: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = (i + 1) / (n + 1) + between(r, -0.05, 0.05);
    ts.push(t);
    ps.push(Math.min(0.99, Math.max(0.01, t + between(r, -0.08, 0.08))));
  }
  ts.sort((a, b) => a - b);
  ps.sort((a, b) => a - b);
  return { t: [0, ...ts, 1], p: [0, ...ps.map((x) => x * 100), 100] };
}

/** Percent (0-100, fractional) at time fraction f of the job. */
export function percentAt(curve: { t: number[]; p: number[] }, f: number): number {
  if (f <= 0) return 0;
  if (f >= 1) return 100;
  for (let i = 1; i < curve.t.length; i++) {
    const t1 = curve.t[i]!;
    if (f <= t1) {
      const t0 = curve.t[i - 1]!;
      const p0 = curve.p[i - 1]!;
      const p1 = curve.p[i]!;
      return t1 === t0 ? p1 : p0 + ((f - t0) / (t1 - t0)) * (p1 - p0);
    }
  }
  return 100;
}

/** Time fraction at which the curve reaches `percent` (inverse of percentAt). */
export function fractionAt(curve: { t: number[]; p: number[] }, percent: number): number {
  if (percent <= 0) return 0;
  if (percent >= 100) return 1;
  for (let i = 1; i < curve.p.length; i++) {
    const p1 = curve.p[i]!;
    if (percent <= p1) {
      const p0 = curve.p[i - 1]!;
      const t0 = curve.t[i - 1]!;
      const t1 = curve.t[i]!;
      return p1 === p0 ? t1 : t0 + ((percent - p0) / (p1 - p0)) * (t1 - t0);
    }
  }
  return 1;
}
