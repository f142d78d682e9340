// The embedded default under load (issue 16 item 4): the API as operators start it without
// DATABASE_URL (PGlite in the API process, one connection) and 50 simulated hosts, each a full
// simulated agent as `npm start` runs them (inventory every 5 s, event and job polls), measured from
// outside the API process:
//   1. a dashboard-style query (hosts with settings, readiness and their VMs) unloaded;
//   2. 20 clients sending it back to back: p50/p99 per query;
//   3. a trivial query's p99 while those 20 clients run;
//   4. moves' ends: the simulated Hyper-V job's end → SUCCEEDED recorded by the API (the agent's job
//      poll and agentJobUpdate), for moves running while the 20 clients run, against moves unloaded.
// Ratio lines: embedded-dashboard-ms (target ≤ 300), embedded-trivial-p99-ms (≤ 250 under load),
// embedded-move-end-max-ms (readers never delay an agent's job update: ≤ 1,000 ms under load, of
// which up to 500 ms is the agent's own job poll).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFleet } from "@ferry/agent/simulator";
import { ADMIN_TOKEN, gql, startApiProcess } from "./harness/api.ts";
import { intEnv } from "./harness/env.ts";
import { fmt, percentile, sleep, table } from "./harness/stats.ts";

/** Hosts with their settings, readiness and VMs: what an operator's fleet page asks for. */
export const DASHBOARD_QUERY = /* GraphQL */ `query Dashboard {
  hosts(first: 100) {
    totalCount
    edges { node {
      id name cpuVendor memoryCapacityBytes memoryAvailableBytes
      agent { connected lastSeenAt inventoryReportedAt }
      migrationSettings { enabled authenticationType maximumVirtualMachineMigrations networks { subnet priority } }
      readiness { name status }
      vms(first: 10) { totalCount edges { node { id name state memoryAssignedBytes } } }
    } }
  }
}`;
const TRIVIAL_QUERY = /* GraphQL */ `query Trivial($name: String!) { host(name: $name) { id name } }`;
const RUNNING_VMS = /* GraphQL */ `{ vms(first: 500, filter: { state: RUNNING }) {
  edges { node { id vmId name host { name } } } } }`;
const MOVE = /* GraphQL */ `mutation($input: MoveVmInput!) { moveVm(input: $input) {
  migration { id } errors { message } } }`;
const MOVES = /* GraphQL */ `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Migration {
  id state startedAt finishedAt vmName destinationHost { name } } } }`;

type Dashboard = {
  hosts: {
    totalCount: number;
    edges: { node: { name: string; agent: { connected: boolean; inventoryReportedAt: string | null } } }[];
  };
};
type Move = { id: string; vmId: string; source: string };
type MoveRow = {
  id: string;
  state: string;
  startedAt: string | null;
  finishedAt: string | null;
  vmName: string;
  destinationHost: { name: string } | null;
};
type SimJob = { vmId: string; destination: string; startedAt: number; endAt: number };

async function post(url: string, query: string, variables: Record<string, unknown> = {}) {
  const t0 = performance.now();
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  const ms = performance.now() - t0;
  const body = JSON.parse(text) as { data?: unknown; errors?: unknown[] };
  if (!response.ok || body.errors?.length || !body.data)
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`);
  return { ms, bytes: Buffer.byteLength(text), data: body.data };
}

const stats = (ms: number[]) => ({
  n: ms.length,
  p50: percentile(ms, 50),
  p99: percentile(ms, 99),
  max: ms.length ? Math.max(...ms) : Number.NaN,
});

export async function runEmbeddedBench(): Promise<void> {
  const hostsN = intEnv("BENCH_EMBEDDED_HOSTS", 50);
  const vmsPerHost = intEnv("BENCH_EMBEDDED_VMS_PER_HOST", 10);
  const clientsN = intEnv("BENCH_EMBEDDED_CLIENTS", 20);
  const loadSeconds = intEnv("BENCH_EMBEDDED_SECONDS", 30);
  const movesN = intEnv("BENCH_EMBEDDED_MOVES", 3);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-bench-embedded-"));
  // The embedded default: no DATABASE_URL (the bench's own PostgreSQL settings are not passed on).
  const api = await startApiProcess(
    {
      DATABASE_URL: "",
      FERRY_DATA_DIR: path.join(dataDir, "api"),
      FERRY_LOG_LEVEL: "warn",
      FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
      // One admin token drives 20 clients: the per-token rate limit would measure itself.
      FERRY_RATE_LIMIT_PER_SECOND: "0",
    },
    300_000,
  );
  let fleet: Awaited<ReturnType<typeof startFleet>> | null = null;
  try {
    fleet = await startFleet({
      apiUrl: api.url,
      adminToken: ADMIN_TOKEN,
      stateDir: path.join(dataDir, "fleet"),
      hosts: hostsN,
      vmsPerHost,
      seed: 7,
      timeScale: 10,
      world: "memory",
    });
    const world = fleet.world;
    const deadline = performance.now() + 300_000;
    for (;;) {
      const d = (await post(api.url, DASHBOARD_QUERY)).data as Dashboard;
      const ready = d.hosts.edges.filter((e) => e.node.agent.connected && e.node.agent.inventoryReportedAt);
      if (ready.length === hostsN) break;
      if (performance.now() > deadline)
        throw new Error(`only ${ready.length} of ${hostsN} hosts connected with inventory after 300 s`);
      await sleep(1000);
    }
    await sleep(3000); // the first reports' reactions settle
    console.log(
      `PGlite (embedded default), API pid ${api.pid}; ${hostsN} simulated agents × ${vmsPerHost} VMs; ${clientsN} clients, ${loadSeconds} s under load`,
    );

    // Moves: auto-placed, one per source host; their agents poll the simulated job and report its end.
    const candidates = (
      await gql<{
        vms: { edges: { node: { id: string; vmId: string; name: string; host: { name: string } } }[] };
      }>(api.url, RUNNING_VMS)
    ).vms.edges.map((e) => e.node);
    const usedSources = new Set<string>();
    const requestMoves = async (k: number): Promise<Move[]> => {
      const moves: Move[] = [];
      for (const vm of candidates) {
        if (moves.length >= k) break;
        if (usedSources.has(vm.host.name)) continue;
        const r = await gql<{ moveVm: { migration: { id: string } | null } }>(api.url, MOVE, {
          input: { vm: vm.id },
        });
        if (!r.moveVm.migration) continue;
        usedSources.add(vm.host.name);
        moves.push({ id: r.moveVm.migration.id, vmId: vm.vmId, source: vm.host.name });
      }
      if (moves.length < k) throw new Error(`only ${moves.length} of ${k} moves passed preflight`);
      return moves;
    };
    const rows = async (moves: Move[]) =>
      (await gql<{ nodes: MoveRow[] }>(api.url, MOVES, { ids: moves.map((m) => m.id) })).nodes;
    const ended = async (moves: Move[]) =>
      (await rows(moves)).every((r) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(r.state));
    /** The simulated Hyper-V job's end → the API's finishedAt, per move (wall ms, one clock). */
    const endDelays = async (moves: Move[]) => {
      const jobs = world.run((m) => (m.state as { jobs: SimJob[] }).jobs.map((j) => ({ ...j })));
      const delays: number[] = [];
      const byId = new Map(moves.map((m) => [m.id, m]));
      for (const r of await rows(moves)) {
        if (r.state !== "SUCCEEDED" || !r.finishedAt || !r.startedAt)
          throw new Error(`move of ${r.vmName} ended ${r.state}`);
        const vmId = byId.get(r.id)!.vmId.toLowerCase();
        const job = jobs.find(
          (j) =>
            j.vmId.toLowerCase() === vmId &&
            j.destination === r.destinationHost?.name &&
            j.startedAt >= Date.parse(r.startedAt!) - 1000,
        );
        if (!job) throw new Error(`no simulated job for the move of ${r.vmName}`);
        delays.push(Date.parse(r.finishedAt) - job.endAt);
      }
      return delays;
    };
    const waitEnded = async (moves: Move[], ms: number) => {
      const until = performance.now() + ms;
      while (!(await ended(moves))) {
        if (performance.now() > until) throw new Error(`moves not ended within ${ms / 1000} s`);
        await sleep(250);
      }
    };

    const first = await post(api.url, DASHBOARD_QUERY);
    const names = (first.data as Dashboard).hosts.edges.map((e) => e.node.name);

    // 1. Unloaded: the dashboard, the trivial query, and moves' ends, one at a time.
    const unloaded = await api.profiler.phase("embedded-unloaded", async () => {
      const dashboard: number[] = [];
      for (let i = 0; i < 10; i++) dashboard.push((await post(api.url, DASHBOARD_QUERY)).ms);
      const trivial: number[] = [];
      for (let i = 0; i < 20; i++)
        trivial.push((await post(api.url, TRIVIAL_QUERY, { name: names[i % names.length] })).ms);
      const moves = await requestMoves(movesN);
      await waitEnded(moves, 120_000);
      return { dashboard, trivial, ends: await endDelays(moves) };
    });

    // 2-4. Loaded: clientsN clients send the dashboard back to back; a probe sends the trivial query
    // every 100 ms; moves requested 2 s in run while they do (the load lasts until they ended).
    const loaded = await api.profiler.phase("embedded-loaded", async () => {
      const stopAt = performance.now() + loadSeconds * 1000;
      let movesDone = false;
      const over = () => performance.now() >= stopAt && movesDone;
      const dashboard: number[] = [];
      const trivial: number[] = [];
      const clients = Array.from({ length: clientsN }, async () => {
        while (!over()) dashboard.push((await post(api.url, DASHBOARD_QUERY)).ms);
      });
      const probe = (async () => {
        let i = 0;
        await sleep(1000);
        while (!over()) {
          trivial.push((await post(api.url, TRIVIAL_QUERY, { name: names[i++ % names.length] })).ms);
          await sleep(100);
        }
      })();
      const moving = (async () => {
        try {
          await sleep(2000);
          const moves = await requestMoves(movesN);
          await waitEnded(moves, 180_000);
          return moves;
        } finally {
          movesDone = true;
        }
      })();
      await Promise.all([...clients, probe, moving]);
      return { dashboard, trivial, ends: await endDelays(await moving) };
    });

    const u = {
      dashboard: stats(unloaded.dashboard),
      trivial: stats(unloaded.trivial),
      ends: stats(unloaded.ends),
    };
    const l = {
      dashboard: stats(loaded.dashboard),
      trivial: stats(loaded.trivial),
      ends: stats(loaded.ends),
    };
    console.log(`dashboard response: ${(first.bytes / 1024).toFixed(1)} KiB`);
    table([
      ["measured", "n", "p50 ms", "p99 ms", "max ms"],
      ...(
        [
          ["dashboard query, unloaded", u.dashboard],
          ["trivial query, unloaded", u.trivial],
          ["move's job end → SUCCEEDED recorded, unloaded", u.ends],
          [`dashboard query, ${clientsN} clients`, l.dashboard],
          [`trivial query, ${clientsN} dashboard clients`, l.trivial],
          [`move's job end → SUCCEEDED recorded, ${clientsN} dashboard clients`, l.ends],
        ] as const
      ).map(([name, s]) => [name, String(s.n), fmt(s.p50), fmt(s.p99), fmt(s.max)]),
    ]);
    const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
    console.log(`target: dashboard ≤ 300 ms unloaded (p50): ${verdict(u.dashboard.p50 <= 300)}`);
    console.log(`target: trivial query p99 ≤ 250 ms under load: ${verdict(l.trivial.p99 <= 250)}`);
    console.log(
      `target: moves' ends recorded ≤ 1,000 ms after the job under load: ${verdict(l.ends.max <= 1000)}`,
    );
    console.log(`embedded-dashboard-kib: ${(first.bytes / 1024).toFixed(1)}`);
    console.log(`embedded-dashboard-ms: ${u.dashboard.p50.toFixed(1)}`);
    console.log(`embedded-loaded-dashboard-p50-ms: ${l.dashboard.p50.toFixed(1)}`);
    console.log(`embedded-loaded-dashboard-p99-ms: ${l.dashboard.p99.toFixed(1)}`);
    console.log(`embedded-trivial-unloaded-p99-ms: ${u.trivial.p99.toFixed(1)}`);
    console.log(`embedded-trivial-p99-ms: ${l.trivial.p99.toFixed(1)}`);
    console.log(`embedded-move-end-unloaded-max-ms: ${u.ends.max.toFixed(0)}`);
    console.log(`embedded-move-end-max-ms: ${l.ends.max.toFixed(0)}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- API output (tail) ---\n${api.output().slice(-3000)}`);
  } finally {
    await fleet?.stop();
    await api.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
