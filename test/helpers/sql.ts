// SQL the API sends to the database, observed at the `pg` driver (Prisma's adapter and the migration
// runner both go through it): for tests that count statements (no token lookup, no readiness write).
import pg from "pg";

/** SQL statements sent while `run` runs. */
export async function statementsDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    seen.push(typeof first === "string" ? first : (first?.text ?? ""));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = original;
  }
  return seen;
}
