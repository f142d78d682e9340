// Benchmark environment: sizes from BENCH_* variables (defaults = issue 7's sizes), the PostgreSQL
// server (BENCH_DATABASE_URL, DATABASE_URL or the local default) with a fresh database per run,
// machine details for the report.
import { randomBytes } from "node:crypto";
import os from "node:os";
import pg from "pg";

export const LOCAL_POSTGRES = "postgresql://postgres:ferry-ci@127.0.0.1:5432/postgres";

/** A BENCH_* (or DATABASE_URL) variable; bench runs outside turbo, so these are not turbo task inputs. */
export function benchEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** An integer BENCH_* variable within [min, max], or `fallback` when unset; anything else throws. */
export function intEnv(name: string, fallback: number, min = 1, max = 1_000_000): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max} (got ${JSON.stringify(raw)})`);
  }
  return n;
}

export interface BenchSizes {
  agents: number;
  vmsPerHost: number;
  subscribers: number;
  seed: number;
  /** Upper bound of each timed phase (ingestion rounds, fan-out samples). */
  ingestSeconds: number;
  readWalks: number;
  fanoutUpdates: number;
  poolSize: number;
}

export function benchSizes(): BenchSizes {
  return {
    agents: intEnv("BENCH_AGENTS", 2000, 2, 20_000),
    vmsPerHost: intEnv("BENCH_VMS_PER_HOST", 20, 1, 500),
    subscribers: intEnv("BENCH_SUBSCRIBERS", 500, 1, 5000),
    seed: intEnv("BENCH_SEED", 7, 0),
    ingestSeconds: intEnv("BENCH_INGEST_SECONDS", 20, 2, 600),
    readWalks: intEnv("BENCH_READ_WALKS", 3, 1, 50),
    fanoutUpdates: intEnv("BENCH_FANOUT_UPDATES", 60, 5, 99),
    poolSize: intEnv("BENCH_DB_POOL_SIZE", 10, 1, 100),
  };
}

export function serverUrl(): string {
  return benchEnv("BENCH_DATABASE_URL") ?? benchEnv("DATABASE_URL") ?? LOCAL_POSTGRES;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

export interface BenchDatabase {
  url: string;
  name: string;
  serverVersion: string;
  drop(): Promise<void>;
}

/** Creates a fresh database on the server; fails with a clear message when PostgreSQL is not reachable. */
export async function freshBenchDatabase(): Promise<BenchDatabase> {
  const server = serverUrl();
  const admin = new pg.Client({ connectionString: server, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${redact(server)} (${(error as Error).message}).\n` +
        "The scale benchmarks need PostgreSQL: set BENCH_DATABASE_URL (or DATABASE_URL) to a server URL, or start\n" +
        "the local one: pg_ctlcluster --skip-systemctl-redirect 15 main start",
    );
  }
  const name = `ferry_bench_${randomBytes(5).toString("hex")}`;
  try {
    const version = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]!
      .server_version;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      name,
      serverVersion: version,
      async drop() {
        const c = new pg.Client({ connectionString: server });
        await c.connect();
        try {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  } finally {
    await admin.end();
  }
}

/** The 1, 5 and 15 minute load averages, for the figures a benchmark prints next to its results. */
export const loadAverage = () => os.loadavg().map((l) => l.toFixed(2));

export function machine(): string {
  const cpus = os.cpus();
  return [
    `nproc ${os.availableParallelism()}`,
    `${cpus[0]?.model ?? "unknown CPU"}`,
    `memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `Node ${process.version}`,
    `${os.type()} ${os.release()}`,
  ].join(", ");
}
