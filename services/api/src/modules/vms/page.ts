// The `vms` page as one SQL statement (issue 16, decision c): Prisma's query building and its second
// query for the cursor row cost more than PostgreSQL's keyset scan on the (name, id) index.
import { Prisma, type PrismaClient, type VirtualMachine } from "../../generated/prisma/client.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor's id that is no UUID keeps Prisma's path (and its answer to a bad cursor). */
export const isUuid = (id: unknown): id is string => typeof id === "string" && UUID.test(id);

/** Whether Pothos asks for the VM's own columns only (no relation to include or select). */
export function scalarOnly(query: Record<string, unknown>): boolean {
  return Object.keys(query).every((k) => k === "take");
}

/**
 * The `take` VMs after the VM `afterId` (the first `take` without it) in (name, id) order, every
 * column, typed as Prisma's model. An `afterId` that names no VM gives no rows.
 */
export function vmPageAfter(prisma: PrismaClient, afterId: string | null, take: number) {
  const after = afterId
    ? Prisma.sql`WHERE ("name", "id") > (SELECT "name", "id" FROM "VirtualMachine" WHERE "id" = ${afterId}::uuid)`
    : Prisma.empty;
  return prisma.$queryRaw<VirtualMachine[]>`
    SELECT * FROM "VirtualMachine" ${after} ORDER BY "name", "id" LIMIT ${take}`;
}
