// Every host's identity, domain, vendor and authentication, once per request: what readiness compares
// a host with (configuration/readiness-schema.ts). A `hosts` page that read every host with its
// settings hands them over (primeFleet), one statement less.
import type { Context } from "../../context.ts";

/** A host as readiness sees its peers (configuration/readiness.ts FleetHost). */
export interface HostIdentity {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  cpuVendor: string;
  authenticationType: string | null;
}

const fleets = new WeakMap<Context, Promise<HostIdentity[]>>();

const identity = (r: {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  cpuVendor: string;
  migrationSettings: { authenticationType: string } | null;
}): HostIdentity => ({
  id: r.id,
  name: r.name,
  fqdn: r.fqdn,
  domain: r.domain,
  cpuVendor: r.cpuVendor,
  authenticationType: r.migrationSettings?.authenticationType ?? null,
});

/** Every host by name, once per request. */
export function loadFleet(ctx: Context): Promise<HostIdentity[]> {
  let fleet = fleets.get(ctx);
  if (!fleet) {
    fleet = ctx.app.db.prisma.host
      .findMany({
        select: {
          id: true,
          name: true,
          fqdn: true,
          domain: true,
          cpuVendor: true,
          migrationSettings: { select: { authenticationType: true } },
        },
        orderBy: { name: "asc" },
      })
      .then((rows) => rows.map(identity));
    fleets.set(ctx, fleet);
  }
  return fleet;
}

/** The fleet from rows of every host by name with their settings; a fleet loaded before stays. */
export function primeFleet(ctx: Context, hosts: Parameters<typeof identity>[0][]): void {
  if (!fleets.has(ctx)) fleets.set(ctx, Promise.resolve(hosts.map(identity)));
}
