// Progress of a maintenance, read from its migrations (the rows are the truth): moved, returned,
// percent and the estimate of what is left.
import type { App } from "../../context.ts";
import type { Maintenance } from "../../generated/prisma/client.ts";

type Ref = Pick<Maintenance, "id" | "hostId">;

async function distinctVms(app: App, where: Parameters<App["db"]["prisma"]["migration"]["findMany"]>[0]) {
  const rows = await app.db.prisma.migration.findMany({
    ...where,
    select: { vmGuid: true },
    distinct: ["vmGuid"],
  });
  return rows.length;
}

/** VMs the drain moved off the host (SUCCEEDED drain moves, one per VM). */
export function movedCount(app: App, m: Ref): Promise<number> {
  return distinctVms(app, { where: { maintenanceId: m.id, sourceHostId: m.hostId, state: "SUCCEEDED" } });
}

/** VMs the return brought back. */
export function returnedCount(app: App, m: Ref): Promise<number> {
  return distinctVms(app, {
    where: { maintenanceId: m.id, destinationHostId: m.hostId, state: "SUCCEEDED" },
  });
}

type ProgressRef = Ref & Pick<Maintenance, "state" | "totalCount" | "returnCount">;

/** Done and to do of the current phase (drain, or return while RETURNING). */
async function phase(app: App, m: ProgressRef): Promise<{ done: number; total: number }> {
  if (m.state === "RETURNING") return { done: await returnedCount(app, m), total: m.returnCount };
  return { done: await movedCount(app, m), total: m.totalCount };
}

export async function percentComplete(app: App, m: ProgressRef): Promise<number> {
  if (m.state === "IN_MAINTENANCE" || m.state === "ENDED") return 100;
  if (m.state === "PLANNING") return 0;
  const { done, total } = await phase(app, m);
  return total === 0 ? 0 : Math.min(100, Math.floor((100 * done) / total));
}

/** The plan's estimate scaled by what is left; null when nothing is moving. */
export async function remainingSeconds(
  app: App,
  m: ProgressRef & Pick<Maintenance, "estimatedSeconds">,
): Promise<number | null> {
  if ((m.state !== "DRAINING" && m.state !== "RETURNING") || m.estimatedSeconds == null) return null;
  const { done, total } = await phase(app, m);
  if (total === 0) return 0;
  return Math.round(((m.estimatedSeconds * Math.max(0, total - done)) / total) * 10) / 10;
}
