// Input checks for configuration changes. Everything is validated before any command is issued,
// so a bad value for one host leaves every host unchanged. Errors name the offending field.
import { inSubnet, parseSubnet, type Subnet } from "@ferry/hyperv";
import type { App } from "../../context.ts";
import { NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";

/** Hyper-V takes UInt32; the inventory protocol caps limits at 4096, so a larger value could never be reported back. */
export const MAX_MIGRATION_LIMIT = 4096;
/** Priorities are UInt32 in Hyper-V; GraphQL's Int stops at 2^31-1. */
export const MAX_PRIORITY = 2_147_483_647;
/** One call may address this many hosts. */
export const MAX_HOSTS_PER_CALL = 1000;

/** A subnet as a client gave it, parsed by @ferry/hyperv (the one CIDR parser, shared with preflight's rules). */
export type ParsedCidr = Subnet;

/**
 * Parses an IPv4 or IPv6 subnet in CIDR form (as Add-VMMigrationNetwork -Subnet takes it) and
 * requires the host bits to be zero, so "10.0.1.7/24" is refused with the subnet meant.
 */
export function parseCidr(input: string, field: string): ParsedCidr {
  const parsed = parseSubnet(input);
  if ("error" in parsed) {
    throw new ValidationError(
      field,
      `${JSON.stringify(input.slice(0, 80))} is not a valid subnet: ${parsed.error}`,
    );
  }
  return parsed;
}

/** Whether an IP address (no prefix) lies inside the subnet. */
export const subnetContains = (subnet: ParsedCidr, ip: string): boolean => inSubnet(subnet, ip);

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
