// The few hot statements sent on Prisma's pool (issue 16, decision c) are named prepared statements on
// PostgreSQL, so each pooled connection parses and plans them once; on PGlite (one in-process
// connection) they stay unnamed. One rule for every such statement.
import type pg from "pg";

/** Whether hot statements are prepared (named) on this database. */
export function preparesStatements(db: { kind: "pglite" | "postgres" }): boolean {
  return db.kind === "postgres";
}

/** The query config of a hot statement: named when `prepared`. */
export function hotStatement(
  prepared: boolean,
  name: string,
  text: string,
  values: unknown[],
): pg.QueryConfig {
  return prepared ? { name, text, values } : { text, values };
}
