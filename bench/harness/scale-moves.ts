// The scale benchmark's two migration measurements:
// - cross-replica progress fan-out: a running move whose source agent is on replica B, N graphql-ws
//   subscribers of migrationProgress(id) on replica A; the agent's progress reaches them through Redis;
// - one scheduler pass over the whole fleet with M queued moves: the moves are queued through moveVm
//   (preflight, Compare-VM through the source agents) with notBefore an hour ahead, made due together,
//   and the pass that starts them is timed from the scheduler's lock being free to the moves' commit.
import { createClient } from "graphql-ws";
import type pg from "pg";
import WebSocket from "ws";
import type { SimAgent } from "./agents.ts";
import { ADMIN_TOKEN, gql } from "./api.ts";
import type { Replica } from "./scale-replicas.ts";
import { percentile, pool, sleep } from "./stats.ts";

const MOVE = `mutation($input: MoveVmInput!) { moveVm(input: $input) {
  migration { id state } errors { __typename message } } }`;
const PROGRESS = `subscription($id: ID!) { migrationProgress(id: $id) { id state percentComplete } }`;

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");
const rowId = (gid: string) => Buffer.from(gid, "base64").toString("utf8").split(":")[1] ?? gid;

/** Races `work` against a failure of the benchmark's processes and a deadline. */
export async function guarded<T>(work: Promise<T>, failed: Promise<never>, ms: number, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, failed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Retries a request that failed in transport (a kept-alive socket the server closed as it was reused:
 * "other side closed", or no answer within the client's bound, under load) or that the API refused as
 * SERVICE_UNAVAILABLE ("retry shortly": nothing was changed); any other GraphQL refusal is not.
 */
export async function withRetries<T>(work: () => Promise<T>, what: string, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await work();
    } catch (error) {
      const transport =
        error instanceof TypeError || ["TimeoutError", "AbortError"].includes((error as Error)?.name);
      const retryable = /SERVICE_UNAVAILABLE/.test((error as Error)?.message ?? "");
      if (i >= attempts || !(transport || retryable)) {
        const cause = error instanceof Error && error.cause ? ` (${String(error.cause)})` : "";
        throw new Error(`${what}: ${(error as Error).message}${cause}`);
      }
      await sleep(250 * i);
    }
  }
}

interface Candidate {
  source: string;
  sourceName: string;
  destination: string;
  destinationName: string;
  vm: string;
}

/**
 * Move candidates among `hostNames` (pairs of neighbours: same CPU vendor in the simulated fleet),
 * both hosts with migration enabled, the source's smallest running VM on the Production switch only
 * whose files are on the shared volume (a live move without storage needs them there).
 */
async function candidates(db: pg.Pool, pairs: [string, string][]): Promise<Candidate[]> {
  const names = [...new Set(pairs.flat())];
  const { rows: hosts } = await db.query<{ id: string; name: string; cpuVendor: string; enabled: boolean }>(
    `SELECT h.id, h.name, h."cpuVendor", coalesce(s.enabled, false) AS enabled
       FROM "Host" h LEFT JOIN "MigrationSettings" s ON s."hostId" = h.id WHERE h.name = ANY($1)`,
    [names],
  );
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const { rows: vms } = await db.query<{ id: string; hostId: string }>(
    `SELECT DISTINCT ON ("hostId") id, "hostId" FROM "VirtualMachine"
      WHERE state = 'RUNNING' AND "switchNames" = '{Production}' AND "hostId" = ANY($1)
        AND path NOT LIKE 'D:%' AND NOT EXISTS (SELECT 1 FROM "HardDrive" d WHERE d."vmRowId" = "VirtualMachine".id AND d.path LIKE 'D:%')
      ORDER BY "hostId", "memoryAssignedBytes", name`,
    [hosts.map((h) => h.id)],
  );
  const vmOf = new Map(vms.map((v) => [v.hostId, v.id]));
  return pairs.flatMap(([s, d]) => {
    const source = byName.get(s);
    const dest = byName.get(d);
    const vm = source && vmOf.get(source.id);
    if (!source || !dest || !vm || !source.enabled || !dest.enabled || source.cpuVendor !== dest.cpuVendor)
      return [];
    return [
      {
        source: source.id,
        sourceName: s,
        destination: dest.id,
        destinationName: d,
        vm,
      },
    ];
  });
}

type MoveAnswer = {
  moveVm: { migration: { id: string } | null; errors: { __typename: string; message: string }[] | null };
};

async function moveVm(url: string, c: Candidate, notBefore?: Date) {
  // The idempotency key makes a retry after a lost answer return the first call's migration.
  const input = {
    vm: globalId("VirtualMachine", c.vm),
    destinationHost: globalId("Host", c.destination),
    idempotencyKey: `bench-scale-${c.vm}`,
    ...(notBefore ? { notBefore: notBefore.toISOString() } : {}),
  };
  const r = await withRetries(() => gql<MoveAnswer>(url, MOVE, { input }), `moveVm ${c.sourceName}`);
  return r.moveVm.migration
    ? { id: r.moveVm.migration.id, error: null }
    : { id: null, error: `${r.moveVm.errors?.[0]?.__typename}: ${r.moveVm.errors?.[0]?.message}` };
}

export interface FanoutResult {
  subscribers: number;
  updates: number;
  subscriberReplica: string;
  agentReplica: string;
  subscribeSeconds: number;
  latencies: number[];
  missing: number;
}

/**
 * Cross-replica fan-out. `own` are agents of this process (same clock as the subscribers), each with
 * the index of the replica it is connected to.
 */
export async function crossReplicaFanout(opts: {
  replicas: Replica[];
  own: { agent: SimAgent; replica: number }[];
  db: pg.Pool;
  subscribers: number;
  updates: number;
  failed: Promise<never>;
}): Promise<FanoutResult> {
  const { replicas, own, db } = opts;
  const names = own.map((o) => o.agent.hostName);
  const pairs = names.flatMap((s) => names.filter((d) => d !== s).map((d) => [s, d] as [string, string]));
  const refusals: string[] = [];
  let found: { id: string; source: (typeof own)[number] } | null = null;
  for (const c of await candidates(db, pairs)) {
    const source = own.find((o) => o.agent.hostName === c.sourceName)!;
    const started = new Promise<string>((resolve) => {
      source.agent.onStartMove = resolve;
    });
    const r = await moveVm(replicas[0]!.api.url, c);
    if (!r.id) {
      refusals.push(`${c.sourceName}→${c.destinationName}: ${r.error}`);
      continue;
    }
    await guarded(started, opts.failed, 60_000, "START_MOVE delivery to the fan-out move's source agent");
    found = { id: r.id, source };
    break;
  }
  if (!found) throw new Error(`no fan-out move passed preflight:\n  ${refusals.slice(0, 10).join("\n  ")}`);
  const B = found.source.replica;
  const A = (B + 1) % replicas.length;
  const held = (
    await db.query<{ agentReplica: string | null }>(`SELECT "agentReplica" FROM "Host" WHERE name = $1`, [
      found.source.agent.hostName,
    ])
  ).rows[0]?.agentReplica;
  if (!held?.startsWith(`${replicas[B]!.name}/`))
    throw new Error(`the source agent is held by ${held}, expected ${replicas[B]!.name}`);

  const N = opts.subscribers;
  const received: Map<number, number>[] = Array.from({ length: N }, () => new Map());
  let firstEvents = 0;
  const errors: unknown[] = [];
  const clients = Array.from({ length: N }, () =>
    createClient({
      url: `${replicas[A]!.api.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
      retryAttempts: 0,
      lazy: true,
    }),
  );
  const subscribeStart = performance.now();
  const disposers: (() => void)[] = [];
  try {
    // In batches of 50, as consoles open over time rather than in one burst.
    for (let i = 0; i < N; i += 50) {
      for (let k = i; k < Math.min(N, i + 50); k++) {
        let first = true;
        disposers.push(
          clients[k]!.subscribe<{ migrationProgress: { percentComplete: number } }>(
            { query: PROGRESS, variables: { id: found.id } },
            {
              next: (result) => {
                const at = performance.now();
                const percent = result.data?.migrationProgress.percentComplete;
                if (first) {
                  first = false;
                  firstEvents++;
                } else if (percent !== undefined && !received[k]!.has(percent)) received[k]!.set(percent, at);
              },
              error: (e) => errors.push(e),
              complete: () => {},
            },
          ),
        );
      }
      const until = performance.now() + 120_000;
      while (firstEvents < Math.min(N, i + 50) && errors.length === 0 && performance.now() < until)
        await Promise.race([sleep(20), opts.failed]);
    }
    if (firstEvents < N)
      throw new Error(
        `only ${firstEvents}/${N} subscribers got the migration (${String(errors[0] ?? "timeout")})`,
      );
    const subscribeSeconds = (performance.now() - subscribeStart) / 1000;

    const latencies: number[] = [];
    let missing = 0;
    const migrationId = rowId(found.id);
    const jobId = found.source.agent.startedMoves.get(migrationId) ?? "bench-job";
    for (let k = 0; k < opts.updates; k++) {
      const percent = 1 + k;
      const t0 = performance.now();
      await guarded(
        found.source.agent.jobUpdate({ migrationId, jobId, state: "RUNNING", percentComplete: percent }),
        opts.failed,
        30_000,
        "agentJobUpdate",
      );
      const until = t0 + 5000;
      while (received.some((r) => !r.has(percent)) && performance.now() < until) await sleep(2);
      for (const r of received) {
        const at = r.get(percent);
        if (at === undefined) missing++;
        else latencies.push(at - t0);
      }
      await sleep(20);
    }
    return {
      subscribers: N,
      updates: opts.updates,
      subscriberReplica: replicas[A]!.name,
      agentReplica: replicas[B]!.name,
      subscribeSeconds,
      latencies,
      missing,
    };
  } finally {
    for (const d of disposers) d();
    await Promise.allSettled(clients.map((c) => c.dispose()));
  }
}

// services/api/src/modules/migrations/scheduler.ts SCHEDULER_LOCK: every replica's pass takes it
// (pg_advisory_xact_lock). The benchmark holds it while it makes the moves due; the check that a
// replica's pass waits for it (pg_locks) fails the benchmark if this key ever differs.
const SCHEDULER_LOCK = 0x66657272_01;

export interface PassResult {
  hosts: number;
  queued: number;
  queueSeconds: number;
  refusedAtQueue: Record<string, number>;
  passSeconds: number;
  started: number;
  failedAtStart: number;
  /** From the lock's release to every started move's START_MOVE received by its agent. */
  deliveredSeconds: number;
}

/**
 * Queues up to `moves` moves between neighbour pairs of `pairs` (each host in at most one move, so all
 * fit their hosts' limits and one pass can start them all), scheduled an hour ahead; makes them due
 * while holding the scheduler's lock, releases it and times the pass a replica was waiting to run.
 * `startMoves` counts START_MOVE received by the agents, by migration row id (null: no agents receive
 * them; deliveredSeconds is then NaN).
 */
export async function schedulerPass(opts: {
  replicas: Replica[];
  db: pg.Pool;
  pairs: [string, string][];
  moves: number;
  hosts: number;
  startMoves: Map<string, number> | null;
  /** Called while the moves are due and the lock still held, right before the pass is let go. */
  beforeRelease?: () => Promise<void>;
  failed: Promise<never>;
  log: (msg: string) => void;
}): Promise<PassResult> {
  const { replicas, db, log } = opts;
  const all = await candidates(db, opts.pairs);
  if (all.length < opts.moves)
    log(`only ${all.length} candidate pairs for ${opts.moves} moves: queueing what passes preflight`);
  const ids: string[] = [];
  const refused: Record<string, number> = {};
  const notBefore = new Date(Date.now() + 3_600_000);
  const queueStart = performance.now();
  let next = 0;
  await guarded(
    pool(
      Array.from({ length: 16 }, (_, i) => i),
      16,
      async (worker) => {
        while (ids.length < opts.moves && next < all.length) {
          const c = all[next++]!;
          const r = await moveVm(replicas[(next + worker) % replicas.length]!.api.url, c, notBefore);
          if (r.id && ids.length < opts.moves) ids.push(rowId(r.id));
          else if (r.error) {
            const key = r.error.replace(/HV-[\w-]+/g, "HV-*").slice(0, 120);
            refused[key] = (refused[key] ?? 0) + 1;
          }
        }
      },
    ),
    opts.failed,
    1_800_000,
    "queueing the moves",
  );
  const queueSeconds = (performance.now() - queueStart) / 1000;
  log(
    `queued ${ids.length} moves (notBefore +1 h) in ${queueSeconds.toFixed(1)} s; refused: ${JSON.stringify(refused)}`,
  );
  if (ids.length === 0) throw new Error("no move could be queued");

  const lock = await db.connect();
  let passSeconds = 0;
  let deliveredSeconds = Number.NaN;
  let started = 0;
  let failedAtStart = 0;
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [SCHEDULER_LOCK]);
    await lock.query(
      `UPDATE "Migration" SET "notBefore" = now() - interval '1 second' WHERE state = 'QUEUED' AND id = ANY($1::uuid[])`,
      [ids],
    );
    // A replica's pass (safety tick every 2 s) now waits for the lock.
    const waitStart = performance.now();
    for (;;) {
      const { rows } = await lock.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1 AND classid = $2`,
        [SCHEDULER_LOCK % 2 ** 32, Math.floor(SCHEDULER_LOCK / 2 ** 32)],
      );
      if (Number(rows[0]!.n) > 0) break;
      if (performance.now() - waitStart > 20_000)
        throw new Error(
          "no replica's scheduler pass waited for the scheduler lock within 20 s (lock key changed?)",
        );
      await Promise.race([sleep(20), opts.failed]);
    }
    await opts.beforeRelease?.();
    const t0 = performance.now();
    await lock.query("SELECT pg_advisory_unlock($1)", [SCHEDULER_LOCK]);
    const deadline = t0 + 600_000;
    for (;;) {
      const { rows } = await db.query<{ state: string; n: string }>(
        `SELECT state, count(*) AS n FROM "Migration" WHERE id = ANY($1::uuid[]) GROUP BY state`,
        [ids],
      );
      const queuedNow = Number(rows.find((r) => r.state === "QUEUED")?.n ?? 0);
      if (queuedNow === 0) {
        passSeconds = (performance.now() - t0) / 1000;
        failedAtStart = Number(rows.find((r) => r.state === "FAILED")?.n ?? 0);
        started = ids.length - failedAtStart;
        break;
      }
      if (performance.now() > deadline) {
        const failures = replicas
          .map((r) =>
            r.api
              .output()
              .split("\n")
              .filter((l) => /scheduler pass failed/.test(l))
              .slice(-2)
              .join("\n"),
          )
          .filter(Boolean);
        throw new Error(
          `the scheduler pass did not start ${ids.length} due moves within 600 s (${queuedNow} still QUEUED)` +
            (failures.length ? `\n--- replicas' scheduler errors ---\n${failures.join("\n")}` : ""),
        );
      }
      await Promise.race([sleep(25), opts.failed]);
    }
    const received = opts.startMoves;
    if (received) {
      const startedIds = ids.filter((id) => received.has(id));
      while (startedIds.length < started && performance.now() < t0 + 300_000) {
        await Promise.race([sleep(25), opts.failed]);
        startedIds.length = 0;
        startedIds.push(...ids.filter((id) => received.has(id)));
      }
      if (startedIds.length >= started)
        deliveredSeconds = (Math.max(...startedIds.map((id) => received.get(id)!)) - t0) / 1000;
    }
  } finally {
    await lock.query("SELECT pg_advisory_unlock_all()").catch(() => {});
    lock.release();
  }
  return {
    hosts: opts.hosts,
    queued: ids.length,
    queueSeconds,
    refusedAtQueue: refused,
    passSeconds,
    started,
    failedAtStart,
    deliveredSeconds,
  };
}

export { percentile };
