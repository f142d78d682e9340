// A fresh, empty database per test file: a new PGlite folder by default, or a new PostgreSQL
// database on the server of DATABASE_URL (so CI's PostgreSQL run exercises the same tests).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

export interface TestDatabaseEnv {
  /** Environment for loadConfig(): FERRY_DATA_DIR or DATABASE_URL. */
  env: Record<string, string>;
  kind: "pglite" | "postgres";
  drop(): Promise<void>;
}

export const postgresUrl = process.env.DATABASE_URL || undefined;

export async function freshDatabase(): Promise<TestDatabaseEnv> {
  if (!postgresUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-test-"));
    return {
      env: { FERRY_DATA_DIR: dir },
      kind: "pglite",
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `ferry_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    kind: "postgres",
    async drop() {
      const c = new pg.Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
