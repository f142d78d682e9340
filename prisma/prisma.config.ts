// Prisma 6.19 with the JavaScript schema engine: nothing is downloaded (see shared STACK.md).
// Migrations are plain SQL applied by services/api/src/db/migrate.ts, not by `prisma migrate`.
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

// schema.prisma's datasource must name an env var (6.19 requires the key); with an adapter its value
// is unused. Without it the CLI cannot read the schema and falls back to downloading engines.
process.env.DATABASE_URL ??= "postgresql://localhost/ferry";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(import.meta.dirname, "schema.prisma"),
  adapter: async () =>
    new PrismaPg({ connectionString: process.env.DATABASE_URL }),
});
