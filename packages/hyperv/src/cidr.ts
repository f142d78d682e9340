// IPv4/IPv6 addresses and subnets: the one parser Ferry has. Subnets a client gives (Add-VMMigrationNetwork
// -Subnet) are parsed strictly (parseSubnet: canonical form, host bits zero); addresses Hyper-V reports
// (adapter IPs, with zones or prefixes) leniently, for matching against migration networks.

/** `strict`: no leading zeros ("010"), as a client's subnet must be unambiguous. */
function ipv4(text: string, strict = false): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    if (strict && part.length > 1 && part.startsWith("0")) return null;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

/** `strict`: hexadecimal groups only (no embedded IPv4 tail). */
function ipv6(text: string, strict = false): bigint | null {
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4tail = strict ? null : /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    const v4 = ipv4(v4tail[2]!);
    if (v4 === null) return null;
    text = `${v4tail[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  if (!/^[0-9a-fA-F:]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (![...head, ...tail].every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return null;
  const all = [...head, ...Array<string>(8 - count).fill("0"), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** An address as [bits, value]; zone (%eth0) and prefix (/24) suffixes are ignored. */
export function parseAddress(text: string): { bits: 32 | 128; value: bigint } | null {
  const bare = text.trim().split("%")[0]!.split("/")[0]!;
  const v4 = ipv4(bare);
  if (v4 !== null) return { bits: 32, value: v4 };
  const v6 = bare.includes(":") ? ipv6(bare) : null;
  return v6 === null ? null : { bits: 128, value: v6 };
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

export interface Subnet {
  version: 4 | 6;
  /** The network address as a number (32 or 128 bits). */
  address: bigint;
  prefix: number;
  /** Canonical text: IPv4 dotted, IPv6 lower-case and compressed (RFC 5952), plus /prefix. */
  canonical: string;
}

/**
 * A subnet in CIDR form, strictly: host bits must be zero ("10.0.1.7/24" is refused, naming the
 * subnet meant). Returns the reason when it is not one.
 */
export function parseSubnet(input: string): Subnet | { error: string } {
  const text = input.trim();
  const slash = text.indexOf("/");
  if (slash < 0 || text.indexOf("/", slash + 1) >= 0)
    return { error: "use CIDR notation, e.g. 10.0.1.0/24 or fd00:1::/64" };
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return { error: "the prefix length must be a number" };
  const prefix = Number(prefixText);
  const v4 = ipv4(addressText, true);
  const v6 = v4 === null && addressText.includes(":") ? ipv6(addressText, true) : null;
  if (v4 === null && v6 === null) return { error: "the address is neither IPv4 nor IPv6" };
  const version = v4 !== null ? 4 : 6;
  const bits = version === 4 ? 32 : 128;
  if (prefix > bits) return { error: `an IPv${version} prefix length is at most ${bits}` };
  const address = (v4 ?? v6)!;
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  const network = address & ~hostMask;
  const canonicalAddress = version === 4 ? formatIpv4(network) : formatIpv6(network);
  if ((address & hostMask) !== 0n)
    return { error: `host bits are set; did you mean ${canonicalAddress}/${prefix}?` };
  return { version, address: network, prefix, canonical: `${canonicalAddress}/${prefix}` };
}

/** Whether `address` (a reported IP) lies in `subnet`. IPv4 vs IPv6 never matches. */
export function inSubnet(subnet: Subnet, address: string): boolean {
  const ip = parseAddress(address);
  const bits = subnet.version === 4 ? 32 : 128;
  if (!ip || ip.bits !== bits) return false;
  const hostMask = (1n << BigInt(bits - subnet.prefix)) - 1n;
  return (ip.value & ~hostMask) === subnet.address;
}

/** Whether `address` lies in `subnet` (CIDR, as Hyper-V reports it). Unparsable input never matches. */
export function subnetContains(subnet: string, address: string): boolean {
  const slash = subnet.indexOf("/");
  if (slash < 0) return false;
  const net = parseAddress(subnet.slice(0, slash));
  const prefixText = subnet.slice(slash + 1).trim();
  if (!net || !/^\d{1,3}$/.test(prefixText)) return false;
  const prefix = Number(prefixText);
  if (prefix > net.bits) return false;
  const hostMask = (1n << BigInt(net.bits - prefix)) - 1n;
  return inSubnet(
    { version: net.bits === 32 ? 4 : 6, address: net.value & ~hostMask, prefix, canonical: "" },
    address,
  );
}
