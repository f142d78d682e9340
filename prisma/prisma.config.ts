// Prisma 6.19 with the JavaScript schema engine: nothing is downloaded (see docs/stack.md).
// Migrations are plain SQL applied by services/api/src/db/migrate.ts, not by `prisma migrate`;
// the CLI is used for `generate` and `migrate diff` only.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// schema.prisma's datasource must name an env var (6.19 requires the key); with an adapter its value
// is unused. Without it the CLI cannot read the schema and falls back to downloading engines.
const explicitUrl = process.env.DATABASE_URL;
process.env.DATABASE_URL ??= "postgresql://localhost/ferry";

/** Without DATABASE_URL the CLI gets a throwaway in-memory PGlite (enough for `migrate diff`). */
async function scratchDatabaseUrl(): Promise<string> {
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1", maxConnections: 4 });
  await server.start();
  // The CLI never stops the adapter's server; don't let it keep the process alive.
  (server as unknown as { server: { unref(): void } }).server.unref();
  server.addEventListener("connection", (e) =>
    (e as CustomEvent<{ socket?: { unref(): void } }>).detail?.socket?.unref(),
  );
  return `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(import.meta.dirname, "schema.prisma"),
  adapter: async () => new PrismaPg({ connectionString: explicitUrl ?? (await scratchDatabaseUrl()) }),
});
