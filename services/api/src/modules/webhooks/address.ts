// Where webhooks may not go (SSRF): private, loopback, link-local, unspecified, multicast, CGNAT and
// documentation ranges, IPv4-mapped IPv6 included. Checked on every resolved address, at creation and
// again for every delivery (the socket connects only to an address that passed: see deliver.ts).
import dns from "node:dns/promises";
import net from "node:net";

/** The blocked ranges, built on first use (importing this module has no effect). */
let blockedRanges: net.BlockList | null = null;
function blocked(): net.BlockList {
  if (blockedRanges) return blockedRanges;
  const list = new net.BlockList();
  for (const [prefix, bits] of [
    ["0.0.0.0", 8],
    ["10.0.0.0", 8],
    ["100.64.0.0", 10],
    ["127.0.0.0", 8],
    ["169.254.0.0", 16],
    ["172.16.0.0", 12],
    ["192.0.0.0", 24],
    ["192.0.2.0", 24],
    ["192.168.0.0", 16],
    ["198.18.0.0", 15],
    ["198.51.100.0", 24],
    ["203.0.113.0", 24],
    ["224.0.0.0", 4],
    ["240.0.0.0", 4],
  ] as const) {
    list.addSubnet(prefix, bits, "ipv4");
  }
  for (const [prefix, bits] of [
    ["::", 128],
    ["::1", 128],
    ["fc00::", 7],
    ["fe80::", 10],
    ["fec0::", 10],
    ["ff00::", 8],
    ["2001:db8::", 32],
    ["64:ff9b::", 96],
  ] as const) {
    list.addSubnet(prefix, bits, "ipv6");
  }
  blockedRanges = list;
  return list;
}

/** True for an address a webhook must not reach without FERRY_WEBHOOK_ALLOW_PRIVATE. */
export function isPrivateAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPrivateAddress(mapped[1]!);
    return blocked().check(address, "ipv6");
  }
  return blocked().check(address, "ipv4");
}

/** Why `url` cannot be a webhook target (syntax only), or null. */
export function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "not a valid URL";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    return "must be an http:// or https:// URL";
  if (parsed.username || parsed.password) return "must not contain credentials (user:password@)";
  if (url.length > 2000) return "must be at most 2000 characters";
  return null;
}

/**
 * Resolves the URL's host; throws a message when it resolves to nothing or (unless `allowPrivate`)
 * to a private address. Every resolved address must be public: a name that also points inside is refused.
 */
export async function checkTarget(url: string, allowPrivate: boolean): Promise<void> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
  const addresses = net.isIP(host)
    ? [host]
    : (await dns.lookup(host, { all: true, verbatim: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  if (allowPrivate) return;
  const inside = addresses.find(isPrivateAddress);
  if (inside) {
    throw new Error(
      `${host} resolves to ${inside}, a private, loopback or link-local address (set FERRY_WEBHOOK_ALLOW_PRIVATE=true to allow)`,
    );
  }
}
