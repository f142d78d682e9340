// One scheduler pass at full size (issue 16 item 3): BENCH_SCHEDULER_HOSTS (10,000) hosts with their
// whole inventory in PostgreSQL and BENCH_SCHEDULER_MOVES (1,000) queued moves made due at once; the
// API's own scheduler (its process, its worker) runs the pass.
//
// What is real: the API process, its scheduler, the database rows (host, settings, networks, switches,
// adapters, firewall rules, volumes, VMs, disks: the inventory a simulated host reports, written by the
// ingest benchmark's raw SQL), the moves (moveVm over GraphQL, preflight included). What is emulated:
// the agents' presence. The pass reads presence from the Host row (agentConnected, agentLastSeenAt);
// this benchmark sets those columns and refreshes them as the replicas' heartbeat does, instead of
// holding 10,000 WebSockets this 2-core machine cannot hold (`bench scale` measures those, up to what
// the machine holds). START_MOVE commands are written (the pass's work) and not delivered. moveVm's
// COMPARE_VM is answered from the simulated world (harness/emulated-compare.ts): unanswered, each
// moveVm waited out its 8-s timeout, and queueing measured that timeout (1.5 moves/s before).
//
// Lines: scheduler-hosts, scheduler-queued, scheduler-pass-seconds, scheduler-moves-per-s,
// scheduler-rounds (from the API's ferry_scheduler_round_seconds_count), scheduler-compares-answered,
// scheduler-load-average.
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { toWire } from "@ferry/protocol";
import pg from "pg";
import type { Wire } from "./harness/agents.ts";
import { ADMIN_TOKEN, benchApiEnv, startApiProcess } from "./harness/api.ts";
import { answerCompares } from "./harness/emulated-compare.ts";
import { benchSizes, freshBenchDatabase, intEnv, loadAverage as load } from "./harness/env.ts";
import { enrollInBulk } from "./harness/scale-enroll.ts";
import { schedulerPass } from "./harness/scale-moves.ts";
import { SCALE_DB_CONNECT_TIMEOUT_MS } from "./harness/scale-replicas.ts";
import { pool } from "./harness/stats.ts";
import { rawIngest } from "./ingest.ts";

const log = (msg: string) => console.log(`[scheduler ${new Date().toISOString().slice(11, 19)}] ${msg}`);

/** Heartbeat of the emulated agents: every host live, as a replica holding their sessions keeps them. */
const PRESENCE_REFRESH_MS = 10_000;

export async function runSchedulerBench(): Promise<void> {
  const sizes = benchSizes();
  const hosts = intEnv("BENCH_SCHEDULER_HOSTS", 10_000, 2, 50_000);
  const moves = intEnv("BENCH_SCHEDULER_MOVES", 1000, 1, Math.floor(hosts / 2));
  const db = await freshBenchDatabase();
  const raw = new pg.Pool({ connectionString: db.url, max: 8 });
  // A pooled connection may wait longer than the default 5 s on a loaded machine (the scale benchmark's
  // setting; BENCH_DB_CONNECT_TIMEOUT_MS overrides it).
  const api = await startApiProcess({
    FERRY_DB_CONNECT_TIMEOUT_MS: String(SCALE_DB_CONNECT_TIMEOUT_MS),
    ...benchApiEnv(db.url, sizes.poolSize),
  });
  let presence: NodeJS.Timeout | undefined;
  let compares: ReturnType<typeof answerCompares> | undefined;
  try {
    log(
      `API up (pid ${api.pid}); generating ${hosts} hosts x ${sizes.vmsPerHost} VMs; load ${load().join(" ")}`,
    );
    const def = generateFleet({ hosts, vmsPerHost: sizes.vmsPerHost, seed: sizes.seed });
    const names = def.hosts.map((h) => h.facts.name);
    const world = SimWorld.create(def);
    const credentials = await enrollInBulk(raw, names);
    const t0 = performance.now();
    await pool(credentials, 8, async (c) => {
      const client = await raw.connect();
      try {
        const wire = toWire(await world.backend(c.hostName).getInventory()) as Wire;
        await rawIngest(client, c.hostId, wire, "bench-emulated");
      } finally {
        client.release();
      }
    });
    log(`inventory of ${hosts} hosts written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const markLive = () =>
      raw.query(
        `UPDATE "Host" SET "agentConnected" = true, "agentReplica" = 'bench-emulated/' || id, "agentLastSeenAt" = now()`,
      );
    await markLive();
    presence = setInterval(
      () => void markLive().catch((e) => log(`presence refresh failed: ${e}`)),
      PRESENCE_REFRESH_MS,
    );
    compares = answerCompares(raw, world, log);

    // Pairs of neighbours: in the generated fleet, neighbours share a CPU vendor.
    const pairs: [string, string][] = [];
    for (let i = 0; i + 1 < names.length; i += 2) pairs.push([names[i]!, names[i + 1]!]);
    let roundsBefore = 0;
    const failed = new Promise<never>(() => {});
    const loadAtPass = load();
    const pass = await schedulerPass({
      replicas: [{ index: 0, name: "bench-replica-1", api }],
      db: raw,
      pairs,
      moves,
      hosts,
      startMoves: null,
      beforeRelease: async () => {
        roundsBefore = await roundCount(api.url);
      },
      failed,
      log,
    });
    // Rounds since the lock's release: the pass's, plus at most one empty round of a pass that a tick
    // asked for meanwhile.
    const rounds = (await roundCount(api.url)) - roundsBefore;
    const perSecond = pass.started / pass.passSeconds;
    log(
      `pass over ${hosts} hosts with ${pass.queued} due moves: ${pass.passSeconds.toFixed(2)} s, ${pass.started} started (${perSecond.toFixed(1)}/s) in ${rounds} rounds, ${pass.failedAtStart} failed their start checks; load ${loadAtPass.join(" ")} -> ${load().join(" ")}`,
    );
    for (const [k, v] of [
      ["scheduler-hosts", String(hosts)],
      ["scheduler-queued", String(pass.queued)],
      ["scheduler-queue-seconds", pass.queueSeconds.toFixed(1)],
      ["scheduler-compares-answered", String(compares.answered())],
      ["scheduler-pass-seconds", pass.passSeconds.toFixed(2)],
      ["scheduler-started", String(pass.started)],
      ["scheduler-failed-at-start", String(pass.failedAtStart)],
      ["scheduler-moves-per-s", perSecond.toFixed(1)],
      ["scheduler-rounds", String(rounds)],
      ["scheduler-load-average", loadAtPass[0]!],
    ])
      console.log(`${k}: ${v}`);
  } finally {
    clearInterval(presence);
    await compares?.stop();
    await api.stop();
    await raw.end();
    await db.drop();
  }
}

/** ferry_scheduler_round_seconds_count of the API (rounds run so far). */
async function roundCount(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const m = /^ferry_scheduler_round_seconds_count (\S+)$/m.exec(await res.text());
  if (!m) throw new Error("the API's /metrics has no ferry_scheduler_round_seconds_count");
  return Number(m[1]);
}
