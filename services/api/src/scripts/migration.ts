// Migrations are plain SQL. Each migration folder keeps a snapshot of schema.prisma as it was when
// the migration was written, so the next migration is the diff from the newest snapshot:
//   npm run migration -w @ferry/api -- new <name>   writes prisma/migrations/<timestamp>_<name>/
//   npm run migration -w @ferry/api -- check        fails when schema.prisma has changes no migration covers
// (Prisma 6.19 cannot diff against a database through a driver adapter, hence snapshots.)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { MIGRATIONS_DIR, readMigrations } from "../db/migrate.ts";

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const SCHEMA = path.join(ROOT, "prisma/schema.prisma");

function latestSnapshot(): string {
  const latest = readMigrations().at(-1);
  const snapshot = latest && path.join(MIGRATIONS_DIR, latest.name, "schema.prisma");
  if (!snapshot || !fs.existsSync(snapshot))
    throw new Error(`the newest migration has no schema.prisma snapshot`);
  return snapshot;
}

/** SQL that takes the newest migration's schema to the current schema.prisma ("" when none). */
export function pendingSchemaSql(): string {
  const sql = execFileSync(
    path.join(ROOT, "node_modules/.bin/prisma"),
    [
      "migrate",
      "diff",
      "--config",
      path.join(ROOT, "prisma/prisma.config.ts"),
      "--from-schema-datamodel",
      latestSnapshot(),
      "--to-schema-datamodel",
      SCHEMA,
      "--script",
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  return sql.replace(/^-- This is an empty migration\.\s*$/m, "").trim();
}

function main() {
  const [command, name] = process.argv.slice(2);
  if (command === "check") {
    const sql = pendingSchemaSql();
    if (sql) {
      console.error(
        `schema.prisma has changes without a migration:\n${sql}\n\nRun: npm run migration -w @ferry/api -- new <name>`,
      );
      process.exit(1);
    }
    console.log("migrations match schema.prisma");
  } else if (command === "new" && name && /^[a-z0-9_]+$/.test(name)) {
    const sql = pendingSchemaSql();
    if (!sql) {
      console.error("nothing to migrate: the migrations already match schema.prisma");
      process.exit(1);
    }
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const folder = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, "migration.sql"), `${sql}\n`);
    fs.copyFileSync(SCHEMA, path.join(folder, "schema.prisma"));
    console.log(`wrote ${path.relative(ROOT, folder)}/migration.sql (+ schema.prisma snapshot)`);
  } else {
    console.error("usage: migration new <snake_case_name> | migration check");
    process.exit(2);
  }
}

if (process.argv[1] && import.meta.filename === fs.realpathSync(process.argv[1])) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
