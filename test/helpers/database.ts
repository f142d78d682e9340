// A fresh database per test file: a new PGlite folder by default, or a new, empty PostgreSQL
// database on the server of DATABASE_URL (so CI's PostgreSQL run exercises the same tests).
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

export interface TestDatabaseEnv {
  /** Environment for loadConfig(): FERRY_DATA_DIR or DATABASE_URL. */
  env: Record<string, string>;
  kind: "pglite" | "postgres";
  drop(): Promise<void>;
}

const execFileAsync = promisify(execFile);

export const postgresUrl = process.env.DATABASE_URL || undefined;

/**
 * `migrated: false` gives a PGlite database without any migration applied (for the migration runner's
 * own tests); by default it already has this checkout's migrations (see migratedCluster). PostgreSQL
 * databases are always empty: the PostgreSQL tier runs every migration for every test API.
 */
export async function freshDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabaseEnv> {
  if (!postgresUrl) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-test-"));
    const template = options.migrated === false ? await emptyCluster() : await migratedCluster();
    await copyCluster(template, path.join(dir, PGDATA));
    return {
      env: { FERRY_DATA_DIR: dir },
      kind: "pglite",
      drop: () => removeCluster(dir),
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
// copy of one empty cluster, created once per PGlite version and kept in the temp folder.
// Running the migrations on each copy then cost another ~2 s of CPU per test API (PGlite executes the
// SQL in the test's process), so by default the copy is of a cluster that already has this checkout's
// migrations, made once per PGlite version and migration files (their names and contents are its key:
// a changed or new migration makes a new one). Each API still runs its migration step at start (it
// finds every file applied, checksums equal); applying them to an empty database is tested by
// test/db/migrate.test.ts (migrated: false), test/readme/start.test.ts (a new install) and, for every
// test API, the PostgreSQL tier. <FERRY_DATA_DIR>/pgdata is where the API keeps it (db/pglite.ts).
const PGDATA = "pgdata";

/** The PGlite cluster folder of a fresh PGlite database (for a test that serves it itself, over TCP). */
export function pgliteDataDir(database: TestDatabaseEnv): string {
  if (database.kind !== "pglite") throw new Error("not a PGlite database");
  return path.join(database.env.FERRY_DATA_DIR!, PGDATA);
}

// Appended to the test clusters' postgresql.conf (the API's PGlite reads it when it opens the folder).
// PostgreSQL's default 128 MB of shared buffers made each PGlite start cost ~1.1 s of CPU (setting up
// the buffer pool in WASM memory); with 32 MB it costs ~0.5 s, measured, and a test database (a few MB)
// still fits in it several times. Part of the templates' key, so a changed setting makes new ones.
const TEST_SETTINGS = "shared_buffers = 32MB\n";
const SETTINGS_KEY = createHash("sha256").update(TEST_SETTINGS).digest("hex").slice(0, 8);
let cluster: Promise<string> | null = null;
let migrated: Promise<string> | null = null;

function emptyCluster(): Promise<string> {
  cluster ??= makeEmptyCluster();
  return cluster;
}

function migratedCluster(): Promise<string> {
  migrated ??= makeMigratedCluster();
  return migrated;
}

function pgliteVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = path.join(path.dirname(require.resolve("@electric-sql/pglite")), "..", "package.json");
  return (JSON.parse(fs.readFileSync(pkg, "utf8")) as { version: string }).version;
}

async function makeEmptyCluster(): Promise<string> {
  const ready = path.join(os.tmpdir(), `ferry-pglite-cluster-${pgliteVersion()}-${SETTINGS_KEY}`);
  return madeOnce(ready, async (draft) => {
    const db = await PGlite.create(draft);
    await db.close();
    fs.appendFileSync(
      path.join(draft, "postgresql.conf"),
      `\n# Ferry's tests (test/helpers/database.ts)\n${TEST_SETTINGS}`,
    );
  });
}

async function makeMigratedCluster(): Promise<string> {
  const { migrate, readMigrations, startEmbeddedPostgres } = await import("@ferry/api/testing");
  const key = createHash("sha256").update(TEST_SETTINGS);
  for (const m of readMigrations()) key.update(`${m.name}\0${m.checksum}\0`);
  const name = `ferry-pglite-migrated-${pgliteVersion()}-${key.digest("hex").slice(0, 16)}`;
  const empty = await emptyCluster();
  return madeOnce(path.join(os.tmpdir(), name), async (draft) => {
    // startEmbeddedPostgres keeps its cluster in <dir>/pgdata: the API's own way of opening it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-migrate-"));
    try {
      await fs.promises.cp(empty, path.join(dir, PGDATA), { recursive: true });
      const db = await startEmbeddedPostgres(dir);
      try {
        await migrate(db.url);
      } finally {
        await db.stop();
      }
      fs.rmSync(draft, { recursive: true, force: true });
      fs.renameSync(path.join(dir, PGDATA), draft);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Copies a cluster folder (~1,100 files, 40 MB) with the system's cp: fs.promises.cp cost ~1.1 s of CPU
 * per copy, cp -Rp ~0.3 s (measured on the migrated template), and every test database is one.
 */
async function copyCluster(from: string, to: string): Promise<void> {
  if (process.platform === "win32") return fs.promises.cp(from, to, { recursive: true });
  await execFileAsync("cp", ["-Rp", from, to]);
}

/** Removes a copy: rm -rf, the same CPU saving as copyCluster (fs.rmSync ~0.15 s, rm ~0.01 s). */
async function removeCluster(dir: string): Promise<void> {
  if (process.platform === "win32") return fs.promises.rm(dir, { recursive: true, force: true });
  await execFileAsync("rm", ["-rf", dir]);
}

/**
 * `ready`, made by `make` once: made beside it and renamed into place, so a reader sees a complete
 * cluster or none, and of two processes making it at once, the first rename wins and the other
 * discards its copy.
 */
async function madeOnce(ready: string, make: (draft: string) => Promise<void>): Promise<string> {
  if (fs.existsSync(path.join(ready, "PG_VERSION"))) return ready;
  const draft = fs.mkdtempSync(`${ready}.draft-`);
  try {
    await make(draft);
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
