// Which hosts are in maintenance: the maintenance module owns that (its Maintenance table,
// read through shared/maintenance.ts, re-exported by modules/maintenance/query.ts as agreed).
import type { Prisma } from "../../generated/prisma/client.ts";
import { hostsInMaintenance } from "../shared/maintenance.ts";

export async function maintenanceHosts(reader: Prisma.TransactionClient): Promise<Set<string>> {
  return hostsInMaintenance(reader);
}
