// Which hosts are in maintenance: the maintenance module owns that (its Maintenance table). Until its
// hostsInMaintenance (modules/maintenance/query.ts, agreed in the coordination notes) is on main,
// no host counts as in maintenance here; callers may pass the set themselves (loadFleet opts).
import type { Prisma } from "../../generated/prisma/client.ts";

export async function maintenanceHosts(_reader: Prisma.TransactionClient): Promise<Set<string>> {
  return new Set();
}
