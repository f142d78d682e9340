// Readiness and errors during outages (issue 12 item 7), with the real API process: while its database
// (or Redis) cannot be reached, /readyz answers 503 and queries fail with a typed, retryable
// SERVICE_UNAVAILABLE instead of a masked INTERNAL_SERVER_ERROR; both recover when it is back.
// The outage is a cut TCP proxy in front of the database, so no shared server is stopped.
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gql } from "../helpers/api.ts";
import { freshDatabase, pgliteDataDir, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";
import { type CuttableProxy, cuttableProxy } from "../helpers/outage.ts";
import { API_MAIN, freePort, type Proc, startProcess, waitForReady } from "../helpers/processes.ts";

const redisUrl = process.env.REDIS_URL || undefined;
let database: TestDatabaseEnv | null = null;
let pglite: { db: PGlite; server: PGLiteSocketServer } | null = null;
let dbProxy: CuttableProxy;
let redisProxy: CuttableProxy | null = null;
let api: Proc;
let url: string;

/**
 * PostgreSQL when DATABASE_URL is set; otherwise PGlite served over TCP by this test process, opened on a
 * fresh test database (a copy of the migrated template: no initdb, ~10 s of CPU, and no migration run over
 * the socket; the API still checks every migration at its start).
 */
async function upstreamDatabase(): Promise<{ host: string; port: number; url: (port: number) => string }> {
  database = await freshDatabase();
  if (postgresUrl) {
    const target = new URL(database.env.DATABASE_URL!);
    return {
      host: target.hostname,
      port: Number(target.port || 5432),
      url: (port) => Object.assign(new URL(target), { port: String(port) }).toString(),
    };
  }
  const db = await PGlite.create(pgliteDataDir(database));
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: 4 });
  await server.start();
  pglite = { db, server };
  return { host: "127.0.0.1", port, url: (p) => `postgresql://postgres@127.0.0.1:${p}/postgres` };
}

const readyz = async () => {
  const r = await fetch(`${url}/readyz`);
  return { status: r.status, body: await r.text() };
};
const hostsQuery = () =>
  gql<{ hosts: { totalCount: number } }>(url, "{ hosts { totalCount } }", {}, ADMIN_TOKEN);
// A `vms` page: its statement skips Prisma (modules/vms/page.ts), its errors must be classified the same.
const vmsPage = () =>
  gql<{ vms: { edges: unknown[] } }>(url, "{ vms(first: 500) { edges { node { name } } } }", {}, ADMIN_TOKEN);

beforeAll(async () => {
  const upstream = await upstreamDatabase();
  dbProxy = await cuttableProxy(upstream);
  const env: Record<string, string> = {
    PORT: String(await freePort()),
    HOST: "127.0.0.1",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    FERRY_LOG_LEVEL: "warn",
    DATABASE_URL: upstream.url(dbProxy.port),
    FERRY_DB_CONNECT_TIMEOUT_MS: "2000",
    FERRY_DB_STATEMENT_TIMEOUT_MS: "10000",
    FERRY_READINESS_TIMEOUT_MS: "2000",
    REDIS_URL: "",
  };
  // PGlite is one session: one connection (as the API itself does when it embeds it).
  if (pglite) env.FERRY_DB_POOL_SIZE = "1";
  if (redisUrl) {
    const target = new URL(redisUrl);
    redisProxy = await cuttableProxy({ host: target.hostname, port: Number(target.port || 6379) });
    env.REDIS_URL = `redis://127.0.0.1:${redisProxy.port}`;
  }
  url = `http://127.0.0.1:${env.PORT}`;
  api = startProcess(API_MAIN, [], env);
  await waitForReady(url, api);
});

afterAll(async () => {
  await api?.stop().catch(() => {});
  await dbProxy?.close();
  await redisProxy?.close();
  if (pglite) {
    await pglite.server.stop();
    await pglite.db.close();
  }
  await database?.drop();
});

describe("database outage", () => {
  it("/readyz answers 503 and queries SERVICE_UNAVAILABLE while the database is away; both recover", async () => {
    expect((await readyz()).status).toBe(200);
    expect((await hostsQuery()).data?.hosts.totalCount).toBe(0);

    await dbProxy.cut();
    const notReady = await eventually(
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : null;
      },
      60_000,
      "/readyz to answer 503",
    );
    expect(notReady.body).toMatch(/database/);
    const during = await hostsQuery();
    const codes = (during.errors ?? []).map((e) => e.extensions?.code);
    expect(codes, JSON.stringify(during)).toContain("SERVICE_UNAVAILABLE");
    expect(codes).not.toContain("INTERNAL_SERVER_ERROR");
    expect((during.errors?.[0]?.extensions as { retryable?: boolean } | undefined)?.retryable).toBe(true);
    const page = await vmsPage();
    expect(
      (page.errors ?? []).map((e) => e.extensions?.code),
      JSON.stringify(page),
    ).toEqual(["SERVICE_UNAVAILABLE"]);

    await dbProxy.restore();
    await eventually(async () => (await readyz()).status === 200, 60_000, "/readyz to answer 200 again");
    await eventually(
      async () => (await hostsQuery()).data?.hosts.totalCount === 0,
      60_000,
      "queries to work again",
    );
    expect((await vmsPage()).data?.vms.edges).toEqual([]);
    expect(api.child.exitCode, api.output()).toBeNull();
  });
});

describe.skipIf(!redisUrl)("Redis outage", () => {
  it("/readyz answers 503 while Redis is away (queries still work: Redis only carries hints); it recovers", async () => {
    await redisProxy!.cut();
    const notReady = await eventually(
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : null;
      },
      60_000,
      "/readyz to answer 503",
    );
    expect(notReady.body).toMatch(/redis/i);
    expect((await hostsQuery()).data?.hosts.totalCount).toBe(0);
    await redisProxy!.restore();
    await eventually(async () => (await readyz()).status === 200, 60_000, "/readyz to answer 200 again");
    expect(api.child.exitCode, api.output()).toBeNull();
  });
});
