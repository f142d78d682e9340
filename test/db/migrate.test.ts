// The migration runner: applies each file once, refuses rewritten history, and lets replicas start together.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLogger, loadConfig } from "@ferry/api/server";
import { migrate, openDatabase, readMigrations, startEmbeddedPostgres } from "@ferry/api/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN } from "../helpers/api.ts";
import { freshDatabase, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";
import { API_MAIN, freePort, startProcess, waitForReady } from "../helpers/processes.ts";

const logger = createLogger("silent");

describe("migration runner", () => {
  let database: TestDatabaseEnv;
  beforeAll(async () => {
    // An empty database (the default PGlite test database already has every migration).
    database = await freshDatabase({ migrated: false });
  });
  afterAll(async () => database?.drop());

  it("applies every migration at the first start and nothing at the second", async () => {
    const config = loadConfig(database.env);
    const first = await openDatabase(config, logger);
    const applied = await first.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name',
    );
    expect(applied.map((r) => r.migration_name)).toEqual(readMigrations().map((m) => m.name));
    await first.close();
    const second = await openDatabase(config, logger);
    const again = await second.prisma.$queryRawUnsafe<{ n: bigint }[]>(
      'SELECT count(*) AS n FROM "_prisma_migrations"',
    );
    expect(Number(again[0]!.n)).toBe(readMigrations().length);
    await second.close();
  });

  it("runs on PostgreSQL when DATABASE_URL is set (turbo must pass it through)", async () => {
    const db = await openDatabase(loadConfig(database.env), logger);
    expect(db.kind).toBe(postgresUrl ? "postgres" : "pglite");
    const version = await db.prisma.$queryRawUnsafe<{ v: string }[]>("SELECT version() AS v");
    expect(version[0]!.v).toMatch(/PostgreSQL/);
    await db.close();
  });

  it("refuses a migration file that changed after it was applied, and rolls back a failing one", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-mig-"));
    const embedded = await startEmbeddedPostgres(path.join(dir, "db"));
    try {
      const migrations = path.join(dir, "migrations");
      fs.mkdirSync(path.join(migrations, "001_a"), { recursive: true });
      fs.writeFileSync(path.join(migrations, "001_a", "migration.sql"), "CREATE TABLE a (id int);");
      expect((await migrate(embedded.url, migrations)).applied).toEqual(["001_a"]);
      fs.mkdirSync(path.join(migrations, "002_bad"));
      fs.writeFileSync(
        path.join(migrations, "002_bad", "migration.sql"),
        "CREATE TABLE b (id int); SELECT * FROM missing_table;",
      );
      await expect(migrate(embedded.url, migrations)).rejects.toThrow(/002_bad failed/);
      const client = new pg.Client({ connectionString: embedded.url });
      await client.connect();
      const b = await client.query("SELECT to_regclass('b') AS t");
      expect(b.rows[0].t).toBeNull();
      await client.end();
      fs.rmSync(path.join(migrations, "002_bad"), { recursive: true });
      fs.writeFileSync(path.join(migrations, "001_a", "migration.sql"), "CREATE TABLE a (id bigint);");
      await expect(migrate(embedded.url, migrations)).rejects.toThrow(/checksum mismatch/);
    } finally {
      await embedded.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!postgresUrl)(
  "migration runner on PostgreSQL (needs DATABASE_URL; .ci/run provides it)",
  () => {
    it("two replicas migrating the same empty database at once both succeed, applying each file once", async () => {
      const database = await freshDatabase();
      try {
        const url = database.env.DATABASE_URL!;
        const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
        const appliedCounts = results.map((r) => r.applied.length).sort();
        expect(appliedCounts).toEqual([0, 0, readMigrations().length]);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        const rows = await client.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
        expect(rows.rows[0].n).toBe(readMigrations().length);
        await client.end();
      } finally {
        await database.drop();
      }
    });

    it("two API processes started at the same moment against one empty database both become ready", async () => {
      const database = await freshDatabase();
      const ports = [await freePort(), await freePort()];
      const apis = ports.map((port) =>
        startProcess(API_MAIN, [], {
          PORT: String(port),
          HOST: "127.0.0.1",
          FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
          FERRY_LOG_LEVEL: "warn",
          ...database.env,
        }),
      );
      try {
        await Promise.all(apis.map((api, i) => waitForReady(`http://127.0.0.1:${ports[i]}`, api)));
        const client = new pg.Client({ connectionString: database.env.DATABASE_URL });
        await client.connect();
        const rows = await client.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
        expect(rows.rows[0].n).toBe(readMigrations().length);
        await client.end();
      } finally {
        await Promise.all(apis.map((a) => a.stop()));
        await database.drop();
      }
    });
  },
);
