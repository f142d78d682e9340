// The size of the API's connection pool, in one place: the pool itself (database.ts) and what is sized
// from it (the inventory report gate, agents/inventory-gate.ts) read it here.
import type { Config } from "../config.ts";

/** Connections to PostgreSQL when FERRY_DB_POOL_SIZE is not set. */
export const DEFAULT_POOL_SIZE = 10;

/**
 * One connection on embedded PGlite (it is one session: two connections' unnamed prepared statements
 * collide, see database.ts), else FERRY_DB_POOL_SIZE or the default.
 */
export function poolSizeOf(config: Pick<Config, "database" | "dbPoolSize">): number {
  return config.database.kind === "pglite" ? 1 : (config.dbPoolSize ?? DEFAULT_POOL_SIZE);
}
