// The `vms` page as one SQL statement (issue 16, decision c): Prisma's query building and its second
// query for the cursor row cost more than PostgreSQL's keyset scan on the (name, id) index. The statement
// runs on Prisma's own pool (db/database.ts) without Prisma's raw-query pipeline (argument mapping, rows
// as arrays, then every value converted to Prisma's types): `pg` builds each row once, with the parsers
// below giving the values Prisma would (vms-pages.test.ts compares the two paths value by value).
import pg from "pg";
import type { Database } from "../../db/database.ts";
import type { VirtualMachine } from "../../generated/prisma/client.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor's id that is no UUID keeps Prisma's path (and its answer to a bad cursor). */
export const isUuid = (id: unknown): id is string => typeof id === "string" && UUID.test(id);

/** Whether Pothos asks for the VM's own columns only (no relation to include or select). */
export function scalarOnly(query: Record<string, unknown>): boolean {
  return Object.keys(query).every((k) => k === "take");
}

const INT8 = 20;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
/** pg's parser for `timestamp with time zone` (years BC, infinity, microseconds). */
const parseTimestampTz = pg.types.getTypeParser(TIMESTAMPTZ, "text") as (text: string) => Date;
/** PostgreSQL's ISO output of a `timestamp(3)` in years 0001-9999: JavaScript's own ISO syntax once joined. */
const PLAIN_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})?$/;

/** A `timestamp` column's text, which holds UTC (Prisma writes UTC), as that instant. */
export function parseUtcTimestamp(text: string): Date {
  return PLAIN_TIMESTAMP.test(text)
    ? new Date(`${text.slice(0, 10)}T${text.slice(11)}Z`)
    : parseTimestampTz(text.endsWith(" BC") ? `${text.slice(0, -3)}+00 BC` : `${text}+00`);
}

/**
 * Values as Prisma gives them: `BigInt` columns as bigint (pg: a string); `DateTime` columns, stored as
 * `timestamp(3)` in UTC, as that instant (pg: the same wall time in the process's time zone). Everything
 * else is pg's default (uuid, text, the enum as its label, integers, booleans, text[]).
 */
export const pageTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8) return (text: string) => BigInt(text);
    if (oid === TIMESTAMP) return parseUtcTimestamp;
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as pg.CustomTypesConfig;

/**
 * The `take` VMs after the VM `afterId` (the first `take` without it) in (name, id) order, every
 * column, typed as Prisma's model. An `afterId` that names no VM gives no rows.
 */
export async function vmPageAfter(
  db: Pick<Database, "pool">,
  afterId: string | null,
  take: number,
): Promise<VirtualMachine[]> {
  const after = afterId
    ? `WHERE ("name", "id") > (SELECT "name", "id" FROM "VirtualMachine" WHERE "id" = $1::uuid)`
    : "";
  const { rows } = await db.pool.query<VirtualMachine>({
    text: `SELECT * FROM "VirtualMachine" ${after} ORDER BY "name", "id" LIMIT $${afterId ? 2 : 1}`,
    values: afterId ? [afterId, take] : [take],
    types: pageTypes,
  });
  return rows;
}
