// One scale session per `npm run bench`: a fresh PostgreSQL database, the API as a separate process,
// a simulated fleet (generateFleet) and one lightweight agent per host over real WebSockets.
// Built once (timed: idle RSS, enrollment, connect + first report, RSS at rest) and shared by the
// connect, ingest, read and fan-out benchmarks; closed at the end of the run.

import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import pg from "pg";
import { type Credential, enrollHost, reportedEventually, type SimAgent, startSimAgent } from "./agents.ts";
import { type ApiProcess, benchApiEnv, cpuSecondsOf, startApiProcess } from "./api.ts";
import { type BenchDatabase, type BenchSizes, benchSizes, freshBenchDatabase, loadAverage } from "./env.ts";
import { MiB, percentile, pool, sleep } from "./stats.ts";

export interface ConnectStats {
  agents: number;
  vms: number;
  idleRssBytes: number;
  enrollSeconds: number;
  connectSeconds: number;
  peakRssBytes: number;
  restRssBytes: number;
  /** API CPU at rest with every agent connected, % of one core. */
  restCpuPercent: number;
  reconnects: number;
  /** First reports sent again (not answered within the agent's 30 s, or "retry shortly"). */
  reportRetries: number;
  harnessRssBytes: number;
}

export interface ScaleSession {
  sizes: BenchSizes;
  db: BenchDatabase;
  api: ApiProcess;
  world: SimWorld;
  agents: SimAgent[];
  stats: ConnectStats;
  /** A raw `pg` pool on the same database (baselines, checks). */
  pg: pg.Pool;
  close(): Promise<void>;
}

let current: Promise<ScaleSession> | null = null;

export function scaleSession(): Promise<ScaleSession> {
  current ??= createSession();
  return current;
}

export async function closeScaleSession(): Promise<void> {
  if (!current) return;
  const s = await current.catch(() => null);
  current = null;
  await s?.close();
}

const log = (msg: string) => console.log(`  [harness] ${msg}`);

async function createSession(): Promise<ScaleSession> {
  const sizes = benchSizes();
  const db = await freshBenchDatabase();
  let api: ApiProcess | null = null;
  const agents: SimAgent[] = [];
  const rawPool = new pg.Pool({ connectionString: db.url, max: sizes.poolSize });
  const close = async () => {
    await Promise.allSettled(agents.map((a) => a.close()));
    await api?.stop();
    await rawPool.end();
    await db.drop();
  };
  try {
    log(`PostgreSQL ${db.serverVersion}, fresh database ${db.name}`);
    api = await startApiProcess(benchApiEnv(db.url, sizes.poolSize));
    await sleep(2000);
    const idleRssBytes = api.rss();
    log(`API pid ${api.pid} at ${api.url}, idle RSS ${(idleRssBytes / MiB).toFixed(0)} MiB`);

    const t0 = performance.now();
    const world = SimWorld.create(
      generateFleet({ hosts: sizes.agents, vmsPerHost: sizes.vmsPerHost, seed: sizes.seed }),
    );
    const hostNames = world.hostNames();
    log(
      `simulated world: ${hostNames.length} hosts, ${hostNames.length * sizes.vmsPerHost} VMs (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );

    // Enrollment through the API (admin token → enrollment token → enrollAgent), timed apart from connecting.
    const credentials: Credential[] = new Array(hostNames.length);
    const enrollStart = performance.now();
    await withDeadline(
      pool(hostNames, 16, async (name, i) => {
        credentials[i] = await enrollHost(api!.url, name);
      }),
      600_000,
      "enrollment",
    );
    const enrollSeconds = (performance.now() - enrollStart) / 1000;
    log(`enrolled ${credentials.length} agents in ${enrollSeconds.toFixed(1)} s`);

    // Connect all at once (as after an API restart) and wait for every first inventory report.
    let peakRssBytes = api.rss();
    const sampler = setInterval(() => {
      try {
        peakRssBytes = Math.max(peakRssBytes, api!.rss());
      } catch {
        // the process is gone; the wait below reports it
      }
    }, 250);
    let reportRetries = 0;
    const connectStart = performance.now();
    for (const c of credentials) agents.push(startSimAgent(api.url, c, world.backend(c.hostName)));
    let reported = 0;
    // Every 10 s: how far the connect is (a failed one says where it stood), with the machine's load.
    const progress = setInterval(() => {
      const connected = agents.filter((a) => a.times.connected > 0).length;
      const reconnects = agents.reduce((n, a) => n + a.reconnects, 0);
      log(
        `connecting, ${((performance.now() - connectStart) / 1000).toFixed(0)} s: ${connected} connected, ${reported} reported, ` +
          `${reconnects} reconnects, ${reportRetries} reports sent again; load ${loadAverage().join(" ")}`,
      );
    }, 10_000);
    try {
      // A first report not answered within the agent's 30 s, or refused with "retry shortly" (the pool
      // had no connection for it within FERRY_DB_CONNECT_TIMEOUT_MS), is sent again, as the real agent
      // does at its next inventory tick (counted: "first reports sent again").
      await api.profiler.phase("connect", () =>
        withDeadline(
          Promise.all(
            agents.map((a) =>
              reportedEventually(a, () => reportRetries++).then(() => {
                a.times.reported ||= performance.now();
                reported++;
              }),
            ),
          ),
          600_000,
          "connect + first inventory report",
        ),
      );
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const toAck = agents.map((a) => a.times.connected - connectStart);
    const toReport = agents.map((a) => a.times.reported - a.times.connected);
    log(
      `connection_ack after p50 ${percentile(toAck, 50).toFixed(0)} / max ${Math.max(...toAck).toFixed(0)} ms; ` +
        `first report acknowledged after p50 ${percentile(toReport, 50).toFixed(0)} / max ${Math.max(...toReport).toFixed(0)} ms more`,
    );
    const { rows } = await rawPool.query<{ n: string }>(
      `SELECT count(*) AS n FROM "Host" WHERE "agentConnected" AND "inventoryReportedAt" IS NOT NULL`,
    );
    const stored = Number(rows[0]!.n);
    if (stored !== agents.length)
      throw new Error(`only ${stored} of ${agents.length} hosts are connected with inventory`);
    const vmCount = Number(
      (await rawPool.query<{ n: string }>(`SELECT count(*) AS n FROM "VirtualMachine"`)).rows[0]!.n,
    );
    log(`${agents.length} agents connected and reported ${vmCount} VMs in ${connectSeconds.toFixed(1)} s`);

    // At rest: connected, nothing to do (heartbeats, keep-alives). CPU over 20 s (one heartbeat period).
    await sleep(5000);
    const cpu0 = cpuSecondsOf(api.pid);
    const rest0 = performance.now();
    await sleep(20_000);
    const restCpuPercent = (100 * (cpuSecondsOf(api.pid) - cpu0)) / ((performance.now() - rest0) / 1000);
    const restRssBytes = api.rss();
    const stats: ConnectStats = {
      agents: agents.length,
      vms: vmCount,
      idleRssBytes,
      enrollSeconds,
      connectSeconds,
      peakRssBytes,
      restRssBytes,
      restCpuPercent,
      reconnects: agents.reduce((n, a) => n + a.reconnects, 0),
      reportRetries,
      harnessRssBytes: process.memoryUsage().rss,
    };
    return { sizes, db, api, world, agents, stats, pg: rawPool, close };
  } catch (error) {
    const output = api?.output() ?? "";
    await close().catch(() => {});
    // fetch's "fetch failed" says why only in its cause (ECONNRESET, ECONNREFUSED, ...).
    const cause = (error as Error).cause;
    const why = cause instanceof Error ? ` (${cause.message})` : "";
    throw new Error(
      `${(error as Error).message}${why}${output ? `\n--- API output (tail) ---\n${output.slice(-3000)}` : ""}`,
    );
  }
}

export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
