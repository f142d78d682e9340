// startMaintenance / endMaintenance / cancelMaintenance: validate, then one guarded change and its
// audit entry in one transaction. The drain and the return are the worker's (worker.ts): these only
// record what was asked, so an API restart loses nothing.

import type { Context } from "../../context.ts";
import { principalName } from "../../context.ts";
import type { Maintenance } from "../../generated/prisma/client.ts";
import { auditedTransaction } from "../audit/service.ts";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { currentRequestId } from "../shared/request-scope.ts";
import { createMaintenance, publishMaintenance, transitionOrConflict } from "./machine.ts";
import type { UnmovablePolicyValue } from "./plan-types.ts";
import { expirePowerCommands } from "./power.ts";
import { hostsInMaintenance } from "./query.ts";
import { OPEN_STATES } from "./transitions.ts";

export interface StartMaintenanceArgs {
  host: string;
  unmovable?: UnmovablePolicyValue | null;
  destinations?: string[] | null;
  notBefore?: Date | null;
}

type Audit = { operation: string; target?: string | null; input?: unknown };

/** Host row ids of `ids` (global Host ids), each checked to exist; ValidationError/NotFoundError otherwise. */
export async function resolveDestinations(
  ctx: Context,
  hostId: string,
  ids: string[] | null | undefined,
  field: string,
): Promise<string[]> {
  if (!ids) return [];
  const rowIds = [...new Set(ids.map((id, i) => decodeId("Host", id, `${field}.${i}`)))];
  if (rowIds.includes(hostId)) throw new ValidationError(field, "the host itself cannot be a destination");
  const found = await ctx.app.db.prisma.host.findMany({
    where: { id: { in: rowIds } },
    select: { id: true },
  });
  const missing = rowIds.find((id) => !found.some((h) => h.id === id));
  if (missing) throw new NotFoundError("Host", missing);
  return rowIds;
}

export async function startMaintenance(
  ctx: Context,
  input: StartMaintenanceArgs,
  audit: Audit,
): Promise<Maintenance> {
  const hostId = decodeId("Host", input.host, "input.host");
  const policy = input.unmovable ?? "STAY_RUNNING";
  const host = await ctx.app.db.prisma.host.findUnique({
    where: { id: hostId },
    select: { id: true, name: true },
  });
  if (!host) throw new NotFoundError("Host", input.host);
  const destinations = await resolveDestinations(ctx, hostId, input.destinations, "input.destinations");
  const busy = await hostsInMaintenance(ctx.app);
  const inMaintenance = destinations.filter((d) => busy.has(d));
  if (destinations.length > 0 && inMaintenance.length === destinations.length) {
    throw new ConflictError("every destination given is in maintenance itself");
  }
  const m = await auditedTransaction(ctx, audit, (tx) =>
    createMaintenance(
      tx,
      {
        hostId,
        unmovablePolicy: policy,
        destinationHostIds: destinations,
        notBefore: input.notBefore ?? null,
        requestedBy: principalName(ctx.principal),
        requestId: currentRequestId(),
      },
      host.name,
    ),
  );
  publishMaintenance(ctx.app, m.id);
  return m;
}

async function openOf(ctx: Context, hostRef: string, field: string): Promise<Maintenance> {
  const hostId = decodeId("Host", hostRef, field);
  const host = await ctx.app.db.prisma.host.findUnique({ where: { id: hostId }, select: { name: true } });
  if (!host) throw new NotFoundError("Host", hostRef);
  const m = await ctx.app.db.prisma.maintenance.findFirst({ where: { hostId, state: { in: OPEN_STATES } } });
  if (!m) throw new ConflictError(`${host.name} is not in maintenance`);
  return m;
}

/** IN_MAINTENANCE -> RETURNING (returnVms: the worker brings the VMs that left back) or ENDED. */
export async function endMaintenance(
  ctx: Context,
  input: { host: string; returnVms?: boolean | null },
  audit: Audit,
): Promise<Maintenance> {
  const open = await openOf(ctx, input.host, "input.host");
  const returnVms = input.returnVms ?? true;
  const m = await auditedTransaction(ctx, audit, (tx) =>
    transitionOrConflict(
      tx,
      open.id,
      {
        op: "end",
        to: returnVms ? "RETURNING" : "ENDED",
        data: { returnVms, requestId: currentRequestId() },
      },
      "end it (cancel a drain that has not finished)",
    ),
  );
  publishMaintenance(ctx.app, m.id);
  return m;
}

/**
 * PLANNING/DRAINING/RETURNING -> CANCELLED. Its queued moves are cancelled by the worker right after
 * (and after a restart); running moves finish.
 */
export async function cancelMaintenance(ctx: Context, id: string, audit: Audit): Promise<Maintenance> {
  const rowId = decodeId("Maintenance", id, "id");
  const exists = await ctx.app.db.prisma.maintenance.findUnique({
    where: { id: rowId },
    select: { id: true },
  });
  if (!exists) throw new NotFoundError("Maintenance", id);
  const m = await auditedTransaction(ctx, audit, async (tx) => {
    const cancelled = await transitionOrConflict(tx, rowId, { op: "cancel", to: "CANCELLED" }, "cancel it");
    // A save or shutdown no agent received yet is not wanted any more.
    await expirePowerCommands(tx, cancelled);
    return cancelled;
  });
  publishMaintenance(ctx.app, m.id);
  return m;
}
