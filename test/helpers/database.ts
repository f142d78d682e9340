// A fresh, empty database per test file: a new PGlite folder by default, or a new PostgreSQL
// database on the server of DATABASE_URL (so CI's PostgreSQL run exercises the same tests).
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
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
    await fs.promises.cp(await emptyCluster(), path.join(dir, PGDATA), { recursive: true });
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

// PGlite's initdb (creating the empty cluster) costs 5-15 s of CPU, most of an API start: a PGlite
// tier with one per test API spent most of its time there. So every fresh PGlite database starts as a
// copy of one empty cluster, created once per PGlite version and kept in the temp folder. Only the
// cluster is shared: each API still runs every migration on its own copy, as on a new install.
// <FERRY_DATA_DIR>/pgdata is where the API keeps it (services/api/src/db/pglite.ts).
const PGDATA = "pgdata";
let cluster: Promise<string> | null = null;

function emptyCluster(): Promise<string> {
  cluster ??= makeEmptyCluster();
  return cluster;
}

async function makeEmptyCluster(): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkg = path.join(path.dirname(require.resolve("@electric-sql/pglite")), "..", "package.json");
  const { version } = JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string };
  const ready = path.join(os.tmpdir(), `ferry-pglite-cluster-${version}`);
  if (fs.existsSync(path.join(ready, "PG_VERSION"))) return ready;
  // Made beside it and renamed into place: a reader sees a complete cluster or none, and of two
  // processes making it at once, the first rename wins and the other discards its copy.
  const draft = fs.mkdtempSync(`${ready}.draft-`);
  try {
    const db = await PGlite.create(draft);
    await db.close();
    try {
      fs.renameSync(draft, ready);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    }
  } finally {
    fs.rmSync(draft, { recursive: true, force: true });
  }
  return ready;
}
