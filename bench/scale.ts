// `npm run bench -- scale` (issue 16 item 3): BENCH_SCALE_REPLICAS (4) API processes on one
// PostgreSQL (a fresh database) and one Redis, BENCH_SCALE_AGENTS (10,000) lightweight simulated
// agents spread over BENCH_SCALE_PROCESSES (4) Node processes, agent i connected to replica i mod 4
// (round-robin, as a load balancer without stickiness would). Measures:
// - connect: every agent connects at once and its first inventory report is acknowledged;
// - RSS per replica, idle and at rest with its agents (and the agent processes' RSS);
// - cross-replica progress fan-out: subscribers on replica A, the move's source agent on replica B;
// - one scheduler pass over the whole fleet with BENCH_SCALE_MOVES (1,000) queued moves.
// Below 10,000 agents it prints an extrapolation to 10,000 from the measured per-agent costs.
// Any process dying or any phase exceeding its bound ends the run with the reason; every child
// process is killed however the run ends.
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import pg from "pg";
import {
  type Credential,
  enrollHost,
  reportedEventually,
  type SimAgent,
  startSimAgent,
} from "./harness/agents.ts";
import { cpuSecondsOf } from "./harness/api.ts";
import { freshBenchDatabase, intEnv, loadAverage } from "./harness/env.ts";
import { enrollInBulk } from "./harness/scale-enroll.ts";
import { type AgentProcess, type SliceAgent, startAgentProcess } from "./harness/scale-fleet.ts";
import { crossReplicaFanout, guarded, schedulerPass, withRetries } from "./harness/scale-moves.ts";
import {
  checkRedis,
  ensureFileLimit,
  fileLimits,
  monitorReplicas,
  orphanGuard,
  type Replica,
  redisUrl,
  startReplicas,
} from "./harness/scale-replicas.ts";
import { fmt, MiB, percentile, pool, sleep, table } from "./harness/stats.ts";

const TARGET_AGENTS = 10_000;
/** Hosts whose agents run in this process (the fan-out move's source and destination among them). */
const OWN_AGENTS = 16;

function scaleSizes() {
  const agents = intEnv("BENCH_SCALE_AGENTS", TARGET_AGENTS, 100, 20_000);
  return {
    agents,
    replicas: intEnv("BENCH_SCALE_REPLICAS", 4, 2, 16),
    processes: intEnv("BENCH_SCALE_PROCESSES", 4, 1, 32),
    vmsPerHost: intEnv("BENCH_SCALE_VMS_PER_HOST", 20, 1, 200),
    subscribers: intEnv("BENCH_SCALE_SUBSCRIBERS", 500, 1, 5000),
    fanoutUpdates: intEnv("BENCH_SCALE_FANOUT_UPDATES", 30, 5, 99),
    moves: intEnv("BENCH_SCALE_MOVES", 1000, 0, 10_000),
    poolSize: intEnv("BENCH_DB_POOL_SIZE", 10, 1, 100),
    seed: intEnv("BENCH_SEED", 7, 0, 1_000_000),
    connectSeconds: intEnv("BENCH_SCALE_CONNECT_TIMEOUT_S", 1800, 10, 7200),
    apiEnrollments: intEnv("BENCH_SCALE_API_ENROLLMENTS", 32, 0, 20_000),
  };
}

const log = (msg: string) => console.log(`  [scale ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** [from, to) of each agent process: even boundaries (move pairs never straddle two processes). */
function slices(from: number, to: number, processes: number): [number, number][] {
  const per = Math.ceil((to - from) / processes / 2) * 2;
  const out: [number, number][] = [];
  for (let s = from; s < to; s += per) out.push([s, Math.min(to, s + per)]);
  return out;
}

export async function runScaleBench(): Promise<void> {
  const sizes = scaleSizes();
  const N = sizes.agents;
  const R = sizes.replicas;
  const loadAtStart = loadAverage();
  log(
    `${N} agents (${sizes.vmsPerHost} VMs each) in ${sizes.processes} processes + ${OWN_AGENTS} here, ${R} replicas; load average ${loadAtStart.join(" ")}`,
  );
  // Open files: each replica holds ~N/R agent sockets (+ subscribers on one), each agent process N/P.
  const perReplica = Math.ceil(N / R) + sizes.subscribers + 500;
  const perProcess = Math.ceil(N / sizes.processes) + 500;
  const here = sizes.subscribers + OWN_AGENTS + 1000;
  const limits = fileLimits();
  log(
    `open-file limit here: soft ${limits.soft}, hard ${limits.hard}; needed ~${perReplica} per replica, ~${perProcess} per agent process`,
  );
  ensureFileLimit(process.pid, here, "the benchmark process");

  const redis = redisUrl();
  await checkRedis(redis);
  const db = await freshBenchDatabase();
  const rawPool = new pg.Pool({ connectionString: db.url, max: 4 });
  let replicas: Replica[] = [];
  const children: AgentProcess[] = [];
  const own: { agent: SimAgent; replica: number }[] = [];
  let guard: { stop(): void } | null = null;
  let monitor: ReturnType<typeof monitorReplicas> | null = null;
  // process.exit runs the exit handlers that kill every replica and agent process.
  const onTerm = () => {
    console.error("bench scale: SIGTERM received; killing the replicas and agent processes");
    process.exit(143);
  };
  process.once("SIGTERM", onTerm);
  try {
    const { rows } = await rawPool.query<{ max_connections: string }>("SHOW max_connections");
    if (R * sizes.poolSize + 10 > Number(rows[0]!.max_connections))
      throw new Error(
        `${R} replicas × pool ${sizes.poolSize} exceed PostgreSQL's max_connections (${rows[0]!.max_connections})`,
      );
    log(`PostgreSQL ${db.serverVersion}, fresh database ${db.name}; Redis ${redis}`);
    replicas = await startReplicas(R, db.url, redis, sizes.poolSize);
    for (const r of replicas) ensureFileLimit(r.api.pid, perReplica, r.name);
    guard = orphanGuard(replicas.map((r) => r.api.pid));
    monitor = monitorReplicas(replicas);
    const failures: Promise<never>[] = [monitor.failed];
    const failed = () => Promise.race(failures);
    await sleep(2000);
    const idleRss = replicas.map((r) => r.api.rss());
    log(
      `replicas up: ${replicas.map((r, i) => `${r.name} pid ${r.api.pid} ${(idleRss[i]! / MiB).toFixed(0)} MiB`).join(", ")}`,
    );

    // The fleet: host names in order; this process's own slice as a simulated world.
    const def = generateFleet({ hosts: N, vmsPerHost: sizes.vmsPerHost, seed: sizes.seed });
    const names = def.hosts.map((h) => h.facts.name);
    const ownNames = new Set(names.slice(0, OWN_AGENTS));
    const world = SimWorld.create({
      ...def,
      hosts: def.hosts.slice(0, OWN_AGENTS),
      delegations: Object.fromEntries(Object.entries(def.delegations).filter(([k]) => ownNames.has(k))),
    });
    def.hosts.length = 0;

    // Agent processes: build their slice of the world while the hosts enroll.
    const parts = slices(OWN_AGENTS, N, sizes.processes);
    for (const [i] of parts.entries()) {
      const child = startAgentProcess(`agent process ${i + 1}`);
      children.push(child);
      failures.push(child.failed);
    }
    guard.stop();
    guard = orphanGuard([...replicas.map((r) => r.api.pid), ...children.map((c) => c.pid)]);
    for (const [i, child] of children.entries())
      ensureFileLimit(child.pid, perProcess, `agent process ${i + 1}`);
    const startMoves = new Map<string, number>();
    for (const child of children)
      child.on((m) => {
        if (m.type === "startMove" && !startMoves.has(m.migrationId))
          startMoves.set(m.migrationId, performance.now());
      });
    const initialized = Promise.all(
      children.map((child, i) => {
        child.send({
          type: "init",
          fleetHosts: N,
          vmsPerHost: sizes.vmsPerHost,
          seed: sizes.seed,
          from: parts[i]![0],
          to: parts[i]![1],
        });
        return child.next("initialized");
      }),
    );
    initialized.catch(() => {});
    // Enrollment: the first hosts through the replicas in turn (timed), the rest in bulk (scale-enroll.ts).
    const viaApi = Math.min(N, sizes.apiEnrollments);
    const credentials: Credential[] = new Array(N);
    const enrollStart = performance.now();
    await guarded(
      pool(names.slice(0, viaApi), 16, async (name, i) => {
        credentials[i] = await withRetries(
          () => enrollHost(replicas[i % R]!.api.url, name),
          `enrolling ${name}`,
        );
      }),
      failed(),
      1_800_000,
      "enrollment",
    );
    const enrollSeconds = (performance.now() - enrollStart) / 1000;
    const bulk = await enrollInBulk(rawPool, names.slice(viaApi));
    bulk.forEach((c, i) => {
      credentials[viaApi + i] = c;
    });
    log(`enrolled ${viaApi} agents through the API in ${enrollSeconds.toFixed(1)} s, ${bulk.length} in bulk`);

    const initRss = (await guarded(initialized, failed(), 600_000, "agent processes' worlds")).map(
      (m) => m.rssBytes,
    );
    log(
      `${children.length} agent processes ready: slices ${parts.map(([a, b]) => `${a}-${b - 1}`).join(", ")}`,
    );

    // Connect: all at once, as after a restart of every replica.
    const ready = children.map(() => 0);
    for (const [i, c] of children.entries()) {
      c.on((m) => {
        if (m.type === "ready") ready[i] = m.count;
      });
    }
    const progress = setInterval(
      () =>
        log(
          `connecting: ${ready.reduce((a, b) => a + b, 0)} of ${N - OWN_AGENTS} ready; load ${loadAverage()[0]}`,
        ),
      15_000,
    );
    const connectStart = performance.now();
    let connectSeconds: number;
    let childStats: { readyP50Ms: number; readyMaxMs: number; reconnects: number; retriedReports: number }[];
    try {
      const done = children.map((child, i) => {
        const [from, to] = parts[i]!;
        const agents: SliceAgent[] = [];
        for (let g = from; g < to; g++) agents.push({ ...credentials[g]!, replica: g % R });
        child.send({ type: "connect", urls: replicas.map((r) => r.api.url), agents });
        return child.next("connected");
      });
      for (let g = 0; g < OWN_AGENTS; g++) {
        const agent = startSimAgent(replicas[g % R]!.api.url, credentials[g]!, world.backend(names[g]!));
        own.push({ agent, replica: g % R });
      }
      [childStats] = await Promise.all([
        guarded(Promise.all(done), failed(), sizes.connectSeconds * 1000, "connect + first inventory report"),
        guarded(
          Promise.all(own.map((o) => reportedEventually(o.agent, () => {}))),
          failed(),
          sizes.connectSeconds * 1000,
          "own agents",
        ),
      ]);
      connectSeconds = (performance.now() - connectStart) / 1000;
    } finally {
      clearInterval(progress);
    }
    const loadAfterConnect = loadAverage();
    credentials.length = 0;
    const counts = await rawPool.query<{ replica: string; n: string }>(
      `SELECT split_part("agentReplica", '/', 1) AS replica, count(*) AS n FROM "Host"
        WHERE "agentConnected" AND "inventoryReportedAt" IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
    const perReplicaAgents = new Map(counts.rows.map((r) => [r.replica, Number(r.n)]));
    const connected = [...perReplicaAgents.values()].reduce((a, b) => a + b, 0);
    if (connected !== N) throw new Error(`only ${connected} of ${N} hosts are connected with inventory`);
    const vms = Number(
      (await rawPool.query<{ n: string }>(`SELECT count(*) AS n FROM "VirtualMachine"`)).rows[0]!.n,
    );
    const reconnects =
      childStats.reduce((n, s) => n + s.reconnects, 0) + own.reduce((n, o) => n + o.agent.reconnects, 0);
    log(
      `${N} agents connected and reported ${vms} VMs in ${connectSeconds.toFixed(1)} s (${reconnects} reconnects); load ${loadAfterConnect.join(" ")}`,
    );

    // At rest: 5 s quiet, then CPU over 20 s (one heartbeat period) and RSS of every process.
    await guarded(sleep(5000), failed(), 10_000, "rest");
    const cpu0 = replicas.map((r) => cpuSecondsOf(r.api.pid));
    const rest0 = performance.now();
    await guarded(sleep(20_000), failed(), 30_000, "rest");
    const restCpu = replicas.map(
      (r, i) => (100 * (cpuSecondsOf(r.api.pid) - cpu0[i]!)) / ((performance.now() - rest0) / 1000),
    );
    const restRss = replicas.map((r) => r.api.rss());
    const childRss = await Promise.all(
      children.map((c) => {
        c.send({ type: "stats" });
        return guarded(c.next("stats"), failed(), 30_000, "agent process stats");
      }),
    );
    const agentsOn = replicas.map((r) => perReplicaAgents.get(r.name) ?? 0);
    const perAgentKiB = replicas.map(
      (_, i) => (restRss[i]! - idleRss[i]!) / Math.max(1, agentsOn[i]!) / 1024,
    );
    // The agent processes: a fixed part (Node, modules, the world) measured before connecting, and
    // what the agents added.
    const harnessBaseBytes = initRss.reduce((a, b) => a + b, 0) / initRss.length;
    const harnessBytes = childRss.reduce((n, s) => n + s.rssBytes, 0);
    const harnessPerAgentKiB = (harnessBytes - harnessBaseBytes * children.length) / (N - OWN_AGENTS) / 1024;
    const loadAtRest = loadAverage();
    table([
      [
        "replica",
        "agents",
        "RSS idle MiB",
        "RSS peak MiB",
        "RSS at rest MiB",
        "per agent KiB",
        "CPU at rest %",
      ],
      ...replicas.map((r, i) => [
        r.name,
        String(agentsOn[i]),
        fmt(idleRss[i]! / MiB, 0),
        fmt(monitor!.peak[i]! / MiB, 0),
        fmt(restRss[i]! / MiB, 0),
        fmt(perAgentKiB[i]!),
        fmt(restCpu[i]!),
      ]),
    ]);
    log(
      `agent processes: ${childRss.map((s) => `${(s.rssBytes / MiB).toFixed(0)} MiB`).join(", ")} (${harnessPerAgentKiB.toFixed(0)} KiB per agent); connect p50/max per process: ${childStats.map((s) => `${(s.readyP50Ms / 1000).toFixed(1)}/${(s.readyMaxMs / 1000).toFixed(1)} s`).join(", ")}`,
    );

    // Cross-replica fan-out.
    const fan = await guarded(
      crossReplicaFanout({
        replicas,
        own,
        db: rawPool,
        subscribers: sizes.subscribers,
        updates: sizes.fanoutUpdates,
        failed: failed(),
      }),
      failed(),
      900_000,
      "cross-replica fan-out",
    );
    const loadAtFanout = loadAverage();
    log(
      `fan-out: ${fan.subscribers} subscribers on ${fan.subscriberReplica}, source agent on ${fan.agentReplica}, ${fan.updates} reports; subscribed in ${fan.subscribeSeconds.toFixed(1)} s; load ${loadAtFanout.join(" ")}`,
    );

    // Scheduler pass: neighbour pairs of the agent processes' hosts (both hosts in one process's world).
    const pairs: [string, string][] = [];
    for (const [from, to] of parts)
      for (let g = from; g + 1 < to; g += 2) pairs.push([names[g]!, names[g + 1]!]);
    const pass =
      sizes.moves > 0
        ? await schedulerPass({
            replicas,
            db: rawPool,
            pairs,
            moves: sizes.moves,
            hosts: N,
            startMoves,
            failed: failed(),
            log,
          })
        : null;
    const loadAtPass = loadAverage();
    if (pass)
      log(
        `scheduler pass over ${pass.hosts} hosts with ${pass.queued} due moves: ${pass.passSeconds.toFixed(2)} s, ${pass.started} started, ${pass.failedAtStart} failed their start checks; START_MOVE at every source agent after ${pass.deliveredSeconds.toFixed(2)} s; load ${loadAtPass.join(" ")}`,
      );

    // Machine-readable lines.
    const mib = (b: number) => (b / MiB).toFixed(0);
    const meanPerAgent = perAgentKiB.reduce((a, b) => a + b, 0) / R;
    const lines: [string, string][] = [
      ["scale-agents", String(N)],
      ["scale-replicas", String(R)],
      ["scale-agent-processes", String(children.length)],
      ["scale-vms", String(vms)],
      ["scale-load-average-start", loadAtStart[0]!],
      ["scale-enroll-api-per-s", (viaApi / enrollSeconds).toFixed(1)],
      ["scale-connect-seconds", connectSeconds.toFixed(1)],
      ["scale-connect-agents-per-s", (N / connectSeconds).toFixed(1)],
      ["scale-connect-reconnects", String(reconnects)],
      ["scale-connect-retried-reports", String(childStats.reduce((n, s) => n + s.retriedReports, 0))],
      ["scale-load-average-connect", loadAfterConnect[0]!],
      ...replicas.flatMap((_r, i): [string, string][] => [
        [`scale-rss-mib-replica-${i + 1}`, mib(restRss[i]!)],
        [`scale-rss-idle-mib-replica-${i + 1}`, mib(idleRss[i]!)],
        [`scale-rss-peak-mib-replica-${i + 1}`, mib(monitor!.peak[i]!)],
      ]),
      ["scale-rss-max-mib", mib(Math.max(...restRss))],
      ["scale-rss-per-agent-kib", meanPerAgent.toFixed(1)],
      ["scale-rest-cpu-percent-max", Math.max(...restCpu).toFixed(1)],
      ["scale-harness-rss-per-agent-kib", harnessPerAgentKiB.toFixed(1)],
      ["scale-harness-rss-base-mib", (harnessBaseBytes / MiB).toFixed(0)],
      ["scale-load-average-rest", loadAtRest[0]!],
      ["scale-fanout-subscribers", String(fan.subscribers)],
      ["scale-fanout-p50-ms", percentile(fan.latencies, 50).toFixed(1)],
      ["scale-fanout-p99-ms", percentile(fan.latencies, 99).toFixed(1)],
      ["scale-fanout-max-ms", Math.max(...fan.latencies).toFixed(1)],
      ["scale-fanout-missing", String(fan.missing)],
      ["scale-load-average-fanout", loadAtFanout[0]!],
    ];
    if (pass) {
      lines.push(
        ["scale-scheduler-hosts", String(pass.hosts)],
        ["scale-scheduler-queued", String(pass.queued)],
        ["scale-scheduler-queue-seconds", pass.queueSeconds.toFixed(1)],
        ["scale-scheduler-pass-seconds", pass.passSeconds.toFixed(2)],
        ["scale-scheduler-started", String(pass.started)],
        ["scale-scheduler-moves-per-s", (pass.started / pass.passSeconds).toFixed(1)],
        ["scale-scheduler-delivered-seconds", pass.deliveredSeconds.toFixed(2)],
        ["scale-load-average-scheduler", loadAtPass[0]!],
      );
    }
    if (N < TARGET_AGENTS) {
      // Linear in agents: the per-agent RSS measured here, connect at the rate measured here (the
      // 2 cores are the bound: more replicas on the same cores add no throughput).
      // A per-agent figure at or below zero (the heap shrank after connecting more than the agents
      // added: few agents per process) says nothing about 10,000: printed as n/a, not extrapolated.
      const perReplicaAt10k = TARGET_AGENTS / R;
      const meanIdle = idleRss.reduce((a, b) => a + b, 0) / R;
      const linear = (perAgentKiB: number, baseBytes: number, agents: number) =>
        perAgentKiB > 0 ? ((baseBytes + perAgentKiB * 1024 * agents) / MiB).toFixed(0) : "n/a";
      lines.push(
        ["scale-extrapolated-agents", String(TARGET_AGENTS)],
        ["scale-extrapolated-rss-mib-per-replica", linear(meanPerAgent, meanIdle, perReplicaAt10k)],
        ["scale-extrapolated-connect-seconds", (TARGET_AGENTS / (N / connectSeconds)).toFixed(0)],
        [
          "scale-extrapolated-harness-rss-mib",
          linear(harnessPerAgentKiB, harnessBaseBytes * children.length, TARGET_AGENTS),
        ],
      );
    }
    for (const [k, v] of lines) console.log(`${k}: ${v}`);
  } catch (error) {
    const tails = replicas
      .map((r) => `--- ${r.name} output (tail) ---\n${r.api.output().slice(-1500)}`)
      .join("\n");
    const cause = (error as Error).cause ? ` (cause: ${String((error as Error).cause)})` : "";
    throw new Error(`${(error as Error).message}${cause}${replicas.length ? `\n${tails}` : ""}`);
  } finally {
    process.off("SIGTERM", onTerm);
    monitor?.stop();
    await Promise.allSettled(own.map((o) => o.agent.close()));
    await Promise.allSettled(children.map((c) => c.stop()));
    await Promise.allSettled(replicas.map((r) => r.api.stop()));
    guard?.stop();
    await rawPool.end().catch(() => {});
    await db.drop().catch((e: Error) => log(`dropping ${db.name} failed: ${e.message}`));
    log(
      `stopped ${children.length} agent processes and ${replicas.length} replicas; load ${loadAverage().join(" ")}`,
    );
  }
}
