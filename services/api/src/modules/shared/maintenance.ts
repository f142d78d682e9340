// The one fact about maintenance other domains need (placement, moveVm, balancing): which hosts are in
// maintenance now. It lives below the domains so placement can read it while the maintenance module
// uses placement's planner (no folder cycle); maintenance/query.ts re-exports it, transitions.ts
// builds its table on these states.
import type { App } from "../../context.ts";
import type { MaintenanceState, Prisma } from "../../generated/prisma/client.ts";

/** The host is in maintenance: no new move may target it. RETURNING takes moves again (its VMs come back). */
export const IN_MAINTENANCE_STATES: MaintenanceState[] = ["PLANNING", "DRAINING", "IN_MAINTENANCE"];

type Reader = App | Prisma.TransactionClient;
const clientOf = (r: Reader): Prisma.TransactionClient =>
  ((r as Partial<App>).db?.prisma ?? r) as Prisma.TransactionClient;

/**
 * Ids of the hosts in maintenance (PLANNING, DRAINING or IN_MAINTENANCE). Pass the App, or a
 * transaction client to read inside a transaction.
 */
export async function hostsInMaintenance(reader: Reader): Promise<Set<string>> {
  const rows = await clientOf(reader).maintenance.findMany({
    where: { state: { in: IN_MAINTENANCE_STATES } },
    select: { hostId: true },
  });
  return new Set(rows.map((r) => r.hostId));
}

/** Whether this host is in maintenance (see hostsInMaintenance). */
export async function isInMaintenance(reader: Reader, hostId: string): Promise<boolean> {
  return (
    (await clientOf(reader).maintenance.count({ where: { hostId, state: { in: IN_MAINTENANCE_STATES } } })) >
    0
  );
}
