// The maintenance state machine: the only code that writes Maintenance.state. Each transition is one
// guarded UPDATE (WHERE state IN the table's allowed-from states, transitions.ts) inside the caller's
// transaction; the hint goes out after the commit (messages are hints, the rows are the truth).

import { encodeGlobalID } from "@pothos/plugin-relay";
import type { App } from "../../context.ts";
import type { Maintenance, MaintenanceState, Prisma } from "../../generated/prisma/client.ts";
import { ConflictError } from "../shared/errors.ts";
import { enqueueWebhookEvent, nodeRef } from "../webhooks/outbox.ts";
import { allowedFrom, isTerminal, type MaintenanceOperation } from "./transitions.ts";

export type Tx = Prisma.TransactionClient;

/** The one publish helper: a maintenance changed (its row is committed). */
export function publishMaintenance(app: App, id: string) {
  app.pubsub.publish("maintenanceChanged", id, { at: Date.now() });
  app.pubsub.publish("maintenancesChanged", { maintenanceId: id });
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** MAINTENANCE_STATE_CHANGED for the webhooks, written in the transaction of the change (outbox). */
async function stateChanged(tx: Tx, m: Maintenance): Promise<void> {
  await enqueueWebhookEvent(tx, {
    type: "MAINTENANCE_STATE_CHANGED",
    subjectId: encodeGlobalID("Maintenance", m.id),
    data: {
      id: encodeGlobalID("Maintenance", m.id),
      state: m.state,
      host: nodeRef("Host", m.hostId),
      unmovablePolicy: m.unmovablePolicy,
      requestedBy: m.requestedBy,
      requestedAt: iso(m.requestedAt),
      notBefore: iso(m.notBefore),
      startedAt: iso(m.startedAt),
      finishedAt: iso(m.finishedAt),
      totalCount: m.totalCount,
      returnVms: m.returnVms,
      returnCount: m.returnCount,
    },
  });
}

export interface MaintenanceChange {
  op: MaintenanceOperation;
  to: MaintenanceState;
  data?: Prisma.MaintenanceUpdateManyMutationInput;
}

/** Applies one transition as a guarded UPDATE; null when the guard refused (another writer won). */
export async function transitionMaintenance(
  tx: Tx,
  id: string,
  change: MaintenanceChange,
): Promise<Maintenance | null> {
  const { count } = await tx.maintenance.updateMany({
    where: { id, state: { in: allowedFrom(change.op, change.to) } },
    data: {
      ...change.data,
      state: change.to,
      ...(isTerminal(change.to) ? { finishedAt: new Date() } : {}),
    },
  });
  if (count === 0) return null;
  const m = await tx.maintenance.findUniqueOrThrow({ where: { id } });
  await stateChanged(tx, m);
  return m;
}

/** A transition a client asked for: refused with ConflictError naming the current state. */
export async function transitionOrConflict(
  tx: Tx,
  id: string,
  change: MaintenanceChange,
  what: string,
): Promise<Maintenance> {
  const done = await transitionMaintenance(tx, id, change);
  if (done) return done;
  const now = await tx.maintenance.findUniqueOrThrow({ where: { id }, select: { state: true } });
  throw new ConflictError(`cannot ${what}: the maintenance is ${now.state}`);
}

export type NewMaintenance = Omit<Prisma.MaintenanceUncheckedCreateInput, "state" | "id">;

/** Inserts a PLANNING maintenance. A host with an open one: ConflictError (partial unique index). */
export async function createMaintenance(
  tx: Tx,
  data: NewMaintenance,
  hostName: string,
): Promise<Maintenance> {
  try {
    // The violation aborts the caller's transaction: it rolls back with the ConflictError.
    const m = await tx.maintenance.create({ data: { ...data, state: "PLANNING" } });
    await stateChanged(tx, m);
    return m;
  } catch (error) {
    if ((error as { code?: string }).code === "P2002") {
      throw new ConflictError(`${hostName} already has an open maintenance (end or cancel it first)`);
    }
    throw error;
  }
}
