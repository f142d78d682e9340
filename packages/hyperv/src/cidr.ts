// IPv4/IPv6 subnet containment, as Hyper-V matches migration networks against adapter addresses.
function ipv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function ipv6(text: string): bigint | null {
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
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

/** Whether `address` lies in `subnet` (CIDR). Unparsable input, or IPv4 vs IPv6, never matches. */
export function subnetContains(subnet: string, address: string): boolean {
  const slash = subnet.indexOf("/");
  if (slash < 0) return false;
  const net = parseAddress(subnet.slice(0, slash));
  const ip = parseAddress(address);
  const prefixText = subnet.slice(slash + 1).trim();
  if (!net || !ip || net.bits !== ip.bits || !/^\d{1,3}$/.test(prefixText)) return false;
  const prefix = Number(prefixText);
  if (prefix > net.bits) return false;
  const mask = ((1n << BigInt(net.bits)) - 1n) ^ ((1n << BigInt(net.bits - prefix)) - 1n);
  return (net.value & mask) === (ip.value & mask);
}
