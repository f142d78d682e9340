// Opens the one database: embedded PGlite by default, PostgreSQL when DATABASE_URL is set. Both run
// the same migrations; the only difference is the connection.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import type { Config } from "../config.ts";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../logger.ts";
import { migrate } from "./migrate.ts";
import { startEmbeddedPostgres } from "./pglite.ts";
import { poolSizeOf } from "./pool-size.ts";

/** How long a pooled PostgreSQL connection may stay idle before pg closes it. */
const IDLE_CLIENT_MS = 300_000;

export type { PrismaClient };

export interface Database {
  kind: "pglite" | "postgres";
  prisma: PrismaClient;
  /**
   * Prisma's own connection pool (the same connections, limits and timeouts), for the few hot paths that
   * skip Prisma's query pipeline (issue 16, decision c: modules/vms/page.ts, agents/inventory-sql.ts).
   * A write through it is one statement, atomic by itself (an inventory report); other writes go
   * through Prisma, in its transactions.
   */
  pool: pg.Pool;
  /** For raw `pg` clients (migrations, LISTEN, benchmarks). */
  url: string;
  /** One round trip (SELECT 1); rejects while the database is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  const embedded =
    config.database.kind === "pglite" ? await startEmbeddedPostgres(config.database.dataDir) : null;
  const url = embedded ? embedded.url : (config.database as { url: string }).url;
  try {
    const result = await migrate(url);
    logger.info({ applied: result.applied, alreadyApplied: result.alreadyApplied }, "database migrations");
    // PGlite is one session: its socket server interleaves the messages of several connections, and
    // two connections' unnamed prepared statements then collide (rows delivered to the wrong query).
    // So the embedded database gets exactly one connection.
    const poolSize = poolSizeOf(config);
    const { connectMs, statementMs } = config.dbTimeouts;
    // The pool is created here and handed to Prisma's adapter (which ends it on $disconnect), so that the
    // hot reads of `pool` share its connections: on PGlite that is the one connection, which serves one
    // client at a time (a Prisma transaction holds it until it ends).
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      // Bounds: a connection attempt and every statement end (with an error) instead of hanging while
      // the database is away; the client-side query_timeout also covers a connection that went silent.
      // pg-pool counts the wait for a free pooled client as connecting; the embedded database is
      // in-process (it cannot be away) and has one client, so a burst queues there rather than failing.
      connectionTimeoutMillis: embedded ? Math.max(connectMs, 60_000) : connectMs,
      query_timeout: statementMs,
      ...(embedded ? {} : { statement_timeout: statementMs }),
      // pg closes a client idle for 10 s by default, and each new one costs a SCRAM handshake (0.5-2.3
      // ms of a vms page's CPU in the read benchmark's profiles). A client the server drops while idle is
      // removed by its error event, and a dead one fails its next statement, as before.
      ...(embedded ? {} : { idleTimeoutMillis: IDLE_CLIENT_MS }),
    });
    const prisma = new PrismaClient({
      adapter: new PrismaPg(pool, { disposeExternalPool: true }),
      // With one connection, transactions queue for it: allow a burst to wait its turn.
      transactionOptions: { maxWait: 15_000, timeout: 20_000 },
    });
    await prisma.$connect();
    return {
      kind: embedded ? "pglite" : "postgres",
      prisma,
      pool,
      url,
      async ping() {
        await prisma.$queryRaw`SELECT 1`;
      },
      async close() {
        try {
          await prisma.$disconnect();
        } finally {
          await embedded?.stop();
        }
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
