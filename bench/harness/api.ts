// The API under test as its own process (services/api/src/main.ts, exactly as operators start it),
// so that its memory can be read from /proc/<pid>/status. Plus a small GraphQL-over-HTTP client.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../../test/helpers/processes.ts";
import { benchEnv } from "./env.ts";
import { attachProfiler, type Profiler, profileDir } from "./profile.ts";
import { sleep } from "./stats.ts";

export { freePort };

export const ROOT = path.resolve(import.meta.dirname, "../..");
const API_MAIN = path.join(ROOT, "services/api/src/main.ts");
export const ADMIN_TOKEN = "bench-admin-token-0123456789abcdef";

/**
 * Settings of the API under benchmark (reported in RESULTS.md). Security stays on; only the
 * per-token rate limit is off, because one admin token drives 500 subscriptions and page walks.
 */
export function benchApiEnv(databaseUrl: string, poolSize: number): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    FERRY_DB_POOL_SIZE: String(poolSize),
    FERRY_LOG_LEVEL: "warn",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    FERRY_RATE_LIMIT_PER_SECOND: "0",
    FERRY_REPLICA_ID: "bench-replica-1",
    ...(benchEnv("BENCH_REDIS_URL") ? { REDIS_URL: benchEnv("BENCH_REDIS_URL")! } : {}),
    // On a heavily loaded machine a burst (500 connection_inits, 2,000 agents at once) can wait longer
    // than the default 5 s for a pooled connection and is refused 1013; this raises the wait.
    ...(benchEnv("BENCH_DB_CONNECT_TIMEOUT_MS")
      ? { FERRY_DB_CONNECT_TIMEOUT_MS: benchEnv("BENCH_DB_CONNECT_TIMEOUT_MS")! }
      : {}),
  };
}

export interface ApiProcess {
  url: string;
  pid: number;
  profiler: Profiler;
  /** Resident set size of the API process in bytes (VmRSS). */
  rss(): number;
  output(): string;
  stop(): Promise<void>;
}

/** `readyMs`: how long to wait for /readyz (an embedded database's first start runs initdb: longer). */
export async function startApiProcess(env: Record<string, string>, readyMs = 90_000): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port), HOST: "127.0.0.1" };
  if (!env.REDIS_URL) delete childEnv.REDIS_URL;
  // BENCH_API_NODE_ARGS: extra node flags for the API process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = (benchEnv("BENCH_API_NODE_ARGS") ?? "").split(" ").filter(Boolean);
  // BENCH_PROFILE_DIR: per-phase CPU profiles through the inspector (loopback only), see profile.ts.
  const inspectPort = profileDir ? await freePort() : null;
  if (inspectPort !== null) nodeArgs.push(`--inspect=127.0.0.1:${inspectPort}`);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "--import", "tsx", API_MAIN], {
    cwd: ROOT,
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Never leave the API running when the bench process ends early (crash, Ctrl-C).
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let out = "";
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the API was not ready within ${readyMs / 1000} s:\n${out}`);
    }
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  const pid = child.pid!;
  const profiler = await attachProfiler(inspectPort);
  return {
    url,
    pid,
    profiler,
    rss: () => rssOf(pid),
    output: () => out,
    async stop() {
      profiler.close();
      process.off("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      });
    },
  };
}

export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** CPU time (user + system) of a process in seconds, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[11], fields[12] = utime, stime (fields 14 and 15 of proc(5)), in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Waits until process `pid` uses less than `belowPercent` of one core over two consecutive seconds (the
 * API done with the agents' first reports and their reactions), at most `maxMs`. Returns the seconds
 * waited and the last second's CPU percent.
 */
export async function quietProcess(
  pid: number,
  belowPercent = 10,
  maxMs = 120_000,
): Promise<{ waitedSeconds: number; cpuPercent: number }> {
  const start = performance.now();
  let quietSeconds = 0;
  let percent = 100;
  while (performance.now() - start < maxMs && quietSeconds < 2) {
    const cpu0 = cpuSecondsOf(pid);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    percent = (100 * (cpuSecondsOf(pid) - cpu0)) / ((performance.now() - t0) / 1000);
    quietSeconds = percent < belowPercent ? quietSeconds + 1 : 0;
  }
  return { waitedSeconds: (performance.now() - start) / 1000, cpuPercent: percent };
}

export interface GqlResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POST /graphql; throws with the response when it has errors. */
export async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token = ADMIN_TOKEN,
): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GqlResponse<T>;
  try {
    body = JSON.parse(text) as GqlResponse<T>;
  } catch {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  if (body.errors?.length || !body.data) {
    throw new Error(
      `GraphQL error (HTTP ${response.status}): ${JSON.stringify(body.errors ?? body).slice(0, 1000)}`,
    );
  }
  return body.data;
}
