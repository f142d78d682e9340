// Embedded PostgreSQL: PGlite (PostgreSQL compiled to WASM) served in-process on a unix socket, so
// Prisma and the migration runner talk to it through the same `pg` driver as to a real PostgreSQL.
import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  /** Connection string for `pg` (host = the socket's folder). */
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(path.join(dataDir, "pgdata"));
  // A unix socket keeps the database off the network; its path must stay under ~100 bytes.
  const socketDir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? "/tmp"), "ferry-pg-"));
  const socketPath = path.join(socketDir, ".s.PGSQL.5432");
  // Two connections: the migration runner's and then Prisma's pool of one (see database.ts).
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 2 });
  await server.start();
  return {
    url: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}`,
    async stop() {
      await server.stop();
      await db.close();
      fs.rmSync(socketDir, { recursive: true, force: true });
    },
  };
}
