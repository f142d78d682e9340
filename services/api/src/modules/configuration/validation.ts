// Input checks for configuration changes. Everything is validated before any command is issued,
// so a bad value for one host leaves every host unchanged. Errors name the offending field.
import type { App } from "../../context.ts";
import { NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";

/** Hyper-V takes UInt32; the inventory protocol caps limits at 4096, so a larger value could never be reported back. */
export const MAX_MIGRATION_LIMIT = 4096;
/** Priorities are UInt32 in Hyper-V; GraphQL's Int stops at 2^31-1. */
export const MAX_PRIORITY = 2_147_483_647;
/** One call may address this many hosts. */
export const MAX_HOSTS_PER_CALL = 1000;

export interface ParsedCidr {
  version: 4 | 6;
  /** The address as a number (32 or 128 bits). */
  address: bigint;
  prefix: number;
  /** Canonical text: IPv4 dotted, IPv6 lower-case and compressed, plus /prefix. */
  canonical: string;
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255 || (part.length > 1 && part.startsWith("0")))
      return null;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (!/^[0-9a-fA-F:]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...tail].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return null;
  const all = [...head, ...Array(8 - count).fill("0"), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join(".");
}

/** RFC 5952: lower case, no leading zeros, the longest run (of 2+) of zero groups as "::". */
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/**
 * Parses an IPv4 or IPv6 subnet in CIDR form (as Add-VMMigrationNetwork -Subnet takes it) and
 * requires the host bits to be zero, so "10.0.1.7/24" is refused with the subnet meant.
 */
export function parseCidr(input: string, field: string): ParsedCidr {
  const text = input.trim();
  const slash = text.indexOf("/");
  const fail = (why: string): never => {
    throw new ValidationError(field, `${JSON.stringify(input.slice(0, 80))} is not a valid subnet: ${why}`);
  };
  if (slash < 0 || text.indexOf("/", slash + 1) >= 0)
    fail("use CIDR notation, e.g. 10.0.1.0/24 or fd00:1::/64");
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) fail("the prefix length must be a number");
  const prefix = Number(prefixText);
  const v4 = parseIpv4(addressText);
  const v6 = v4 === null && addressText.includes(":") ? parseIpv6(addressText) : null;
  if (v4 === null && v6 === null) fail("the address is neither IPv4 nor IPv6");
  const version = v4 !== null ? 4 : 6;
  const bits = version === 4 ? 32 : 128;
  if (prefix > bits) fail(`an IPv${version} prefix length is at most ${bits}`);
  const address = (v4 ?? v6)!;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const network = address & ~hostMask;
  const canonicalAddress = version === 4 ? formatIpv4(network) : formatIpv6(network);
  if ((address & hostMask) !== 0n) fail(`host bits are set; did you mean ${canonicalAddress}/${prefix}?`);
  return { version, address: network, prefix, canonical: `${canonicalAddress}/${prefix}` };
}

/** Whether an IP address (no prefix) lies inside the subnet. */
export function subnetContains(subnet: ParsedCidr, ip: string): boolean {
  const bare = ip.split("%")[0]!.split("/")[0]!;
  const v4 = parseIpv4(bare);
  const value = subnet.version === 4 ? v4 : v4 === null ? parseIpv6(bare) : null;
  if (value === null) return false;
  const bits = subnet.version === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(bits - subnet.prefix)) - 1n;
  return (value & ~hostMask) === subnet.address;
}

/** The same subnet? Compares canonical forms; unparsable ones fall back to case-insensitive text. */
export function sameSubnet(a: string, b: string): boolean {
  return canonicalSubnet(a) === canonicalSubnet(b);
}

export function canonicalSubnet(subnet: string): string {
  try {
    return parseCidr(subnet, "subnet").canonical;
  } catch {
    return subnet.trim().toLowerCase();
  }
}

export function checkPriority(priority: number | null | undefined, field: string): number | null {
  if (priority === null || priority === undefined) return null;
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw new ValidationError(
      field,
      `priority must be an integer from 0 to ${MAX_PRIORITY}, not ${priority}`,
    );
  }
  return priority;
}

export function checkLimit(value: number | null | undefined, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > MAX_MIGRATION_LIMIT) {
    throw new ValidationError(
      field,
      `must be a positive integer of at most ${MAX_MIGRATION_LIMIT} (simultaneous migrations), not ${value}`,
    );
  }
  return value;
}

export interface TargetHost {
  id: string;
  name: string;
}

/**
 * Decodes and loads the hosts of a call: at least one, each a Host id (ValidationError naming
 * `field[i]`), no duplicates, every one existing (NotFoundError). Returns them in the given order.
 */
export async function resolveHosts(app: App, ids: readonly (string | number)[], field: string) {
  if (ids.length === 0) throw new ValidationError(field, "name at least one host");
  if (ids.length > MAX_HOSTS_PER_CALL)
    throw new ValidationError(field, `at most ${MAX_HOSTS_PER_CALL} hosts per call`);
  const decoded = ids.map((id, i) => decodeId("Host", String(id), `${field}[${i}]`));
  const seen = new Map<string, number>();
  decoded.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined)
      throw new ValidationError(`${field}[${i}]`, `host listed twice (also at ${field}[${first}])`);
    seen.set(id, i);
  });
  const rows = await app.db.prisma.host.findMany({
    where: { id: { in: decoded } },
    select: {
      id: true,
      name: true,
      migrationNetworks: { select: { subnet: true, priority: true } },
    },
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return decoded.map((id, i) => {
    const row = byId.get(id);
    if (!row) throw new NotFoundError("host", String(ids[i]));
    return row;
  });
}
