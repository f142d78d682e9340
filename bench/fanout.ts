// Progress fan-out: the source agent reports progress of a running migration (agentJobUpdate over
// its WebSocket) → the API stores it and publishes → N graphql-ws subscribers of
// migrationProgress(id), each on its own socket, receive the new percent. Latency per delivery =
// receipt − the moment the agent sent its report (same process, same clock). Baseline: a raw `ws`
// server broadcasting the same payload to N sockets. Loopback only.
// Ratio lines: fanout-p99-ms (target ≤ 50, issue 16), fanout-ratio-p50 / fanout-ratio-p99 (API ÷ raw ws).
import { createClient } from "graphql-ws";
import WebSocket, { WebSocketServer } from "ws";
import type { SimAgent } from "./harness/agents.ts";
import { ADMIN_TOKEN, gql } from "./harness/api.ts";
import { apiWork, describeWork, workBetween } from "./harness/api-work.ts";
import { scaleSession, withDeadline } from "./harness/session.ts";
import { fmt, percentile, sleep, table } from "./harness/stats.ts";

const HOSTS_QUERY = `query { hosts(first: 60) { edges { node { id name cpuVendor
  vms(first: 3, filter: { state: RUNNING }) { edges { node { id name } } } } } } }`;
const MOVE = `mutation($input: MoveVmInput!) { moveVm(input: $input) {
  migration { id state } errors { __typename message } } }`;
const PROGRESS = `subscription($id: ID!) { migrationProgress(id: $id) { id state percentComplete } }`;

type Hosts = {
  hosts: {
    edges: {
      node: {
        id: string;
        name: string;
        cpuVendor: string;
        vms: { edges: { node: { id: string; name: string } }[] };
      };
    }[];
  };
};

/** Asks for moves until one passes preflight; returns the migration once its agent got START_MOVE. */
async function startMigration(apiUrl: string, agents: SimAgent[]) {
  const byName = new Map(agents.map((a) => [a.hostName, a]));
  const hosts = (await gql<Hosts>(apiUrl, HOSTS_QUERY)).hosts.edges.map((e) => e.node);
  const refusals: string[] = [];
  for (const source of hosts) {
    for (const dest of hosts) {
      if (dest === source || dest.cpuVendor !== source.cpuVendor) continue;
      const vm = source.vms.edges[0]?.node;
      const agent = byName.get(source.name);
      if (!vm || !agent || refusals.length >= 30) continue;
      const started = new Promise<string>((resolve) => {
        agent.onStartMove = resolve;
      });
      const r = await gql<{
        moveVm: {
          migration: { id: string } | null;
          errors: { __typename: string; message: string }[] | null;
        };
      }>(apiUrl, MOVE, { input: { vm: vm.id, destinationHost: dest.id } });
      if (!r.moveVm.migration) {
        refusals.push(`${vm.name} ${source.name}→${dest.name}: ${r.moveVm.errors?.[0]?.message}`);
        break; // next source host
      }
      const migrationId = r.moveVm.migration.id;
      await withDeadline(started, 30_000, "START_MOVE delivery to the source agent");
      const raw = Buffer.from(migrationId, "base64").toString("utf8");
      const uuid = raw.startsWith("Migration:") ? raw.slice("Migration:".length) : migrationId;
      return {
        globalId: migrationId,
        uuid,
        agent,
        jobId: agent.startedMoves.get(uuid) ?? "bench-job",
        vm: vm.name,
      };
    }
  }
  throw new Error(`no move passed preflight:\n  ${refusals.slice(0, 10).join("\n  ")}`);
}

export async function runFanoutBench(): Promise<void> {
  const session = await scaleSession();
  const { api, agents, sizes } = session;
  const N = sizes.subscribers;
  const U = sizes.fanoutUpdates;

  const move = await startMigration(api.url, agents);
  // N subscribers, one socket each (a client per operator console).
  const received: Map<number, number>[] = Array.from({ length: N }, () => new Map());
  let firstEvents = 0;
  const clients = Array.from({ length: N }, () =>
    createClient({
      url: `${api.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
      retryAttempts: 0,
      lazy: false,
    }),
  );
  const errors: unknown[] = [];
  const disposers = clients.map((client, i) => {
    let first = true;
    return client.subscribe<{ migrationProgress: { percentComplete: number } }>(
      { query: PROGRESS, variables: { id: move.globalId } },
      {
        next: (result) => {
          const at = performance.now();
          const percent = result.data?.migrationProgress.percentComplete;
          if (first) {
            first = false;
            firstEvents++;
          } else if (percent !== undefined && !received[i]!.has(percent)) received[i]!.set(percent, at);
        },
        error: (e) => errors.push(e),
        complete: () => {},
      },
    );
  });
  const subscribeStart = performance.now();
  while (firstEvents < N && performance.now() - subscribeStart < 120_000 && errors.length === 0)
    await sleep(50);
  if (firstEvents < N) {
    throw new Error(
      `only ${firstEvents}/${N} subscribers got the migration (${String(errors[0] ?? "timeout")})`,
    );
  }
  const subscribeSeconds = (performance.now() - subscribeStart) / 1000;

  // Agent reports: percent 1..U, each after the previous one reached every subscriber (or 5 s).
  const sentAt = new Map<number, number>();
  const apiLatencies: number[] = [];
  let missing = 0;
  const startPercent = 1;
  // The slowest reports' worst delivery, to read the tail against the API's other work (below).
  const worst: { percent: number; atMs: number; maxMs: number }[] = [];
  const work0 = await apiWork(api.url);
  const phaseT0 = performance.now();
  await api.profiler.phase("fanout", async () => {
    for (let k = 0; k < U; k++) {
      const percent = startPercent + k;
      const t0 = performance.now();
      sentAt.set(percent, t0);
      await move.agent.jobUpdate({
        migrationId: move.uuid,
        jobId: move.jobId,
        state: "RUNNING",
        percentComplete: percent,
      });
      const until = t0 + 5000;
      while (received.some((r) => !r.has(percent)) && performance.now() < until) await sleep(2);
      let maxMs = 0;
      for (const r of received) {
        const at = r.get(percent);
        if (at === undefined) missing++;
        else {
          apiLatencies.push(at - t0);
          maxMs = Math.max(maxMs, at - t0);
        }
      }
      worst.push({ percent, atMs: t0 - phaseT0, maxMs });
      await sleep(20);
    }
  });
  const during = workBetween(work0, await apiWork(api.url));
  const phaseSeconds = (performance.now() - phaseT0) / 1000;
  for (const dispose of disposers) dispose();
  await Promise.all(clients.map((c) => c.dispose()));

  // Baseline: raw ws broadcast of the same payload (a graphql-ws "next" message) to N sockets.
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((r) => wss.once("listening", () => r()));
  const port = (wss.address() as { port: number }).port;
  const rawReceived: Map<number, number>[] = Array.from({ length: N }, () => new Map());
  const sockets = await Promise.all(
    Array.from(
      { length: N },
      (_, i) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}`);
          ws.on("message", (data) => {
            const at = performance.now();
            const msg = JSON.parse(String(data)) as {
              payload: { data: { migrationProgress: { percentComplete: number } } };
            };
            rawReceived[i]!.set(msg.payload.data.migrationProgress.percentComplete, at);
          });
          ws.once("open", () => resolve(ws));
          ws.once("error", reject);
        }),
    ),
  );
  while (wss.clients.size < N) await sleep(10);
  const rawLatencies: number[] = [];
  let rawMissing = 0;
  for (let k = 0; k < U; k++) {
    const percent = startPercent + k;
    const payload = JSON.stringify({
      id: "1",
      type: "next",
      payload: {
        data: { migrationProgress: { id: move.globalId, state: "RUNNING", percentComplete: percent } },
      },
    });
    const t0 = performance.now();
    for (const client of wss.clients) client.send(payload);
    const until = t0 + 5000;
    while (rawReceived.some((r) => !r.has(percent)) && performance.now() < until) await sleep(2);
    for (const r of rawReceived) {
      const at = r.get(percent);
      if (at === undefined) rawMissing++;
      else rawLatencies.push(at - t0);
    }
    await sleep(20);
  }
  for (const s of sockets) s.terminate();
  await new Promise<void>((r) => wss.close(() => r()));

  console.log(
    `migration of ${move.vm} (RUNNING), ${N} subscribers on ${N} sockets, ${U} progress reports; subscribed in ${subscribeSeconds.toFixed(1)} s`,
  );
  table([
    ["path", "deliveries", "missing", "p50 ms", "p90 ms", "p99 ms", "max ms"],
    ...(
      [
        ["API: agentJobUpdate → migrationProgress", apiLatencies, missing],
        ["raw ws broadcast (baseline)", rawLatencies, rawMissing],
      ] as const
    ).map(([name, l, miss]) => [
      name,
      String(l.length),
      String(miss),
      fmt(percentile(l, 50)),
      fmt(percentile(l, 90)),
      fmt(percentile(l, 99)),
      fmt(Math.max(...l)),
    ]),
  ]);
  const p99 = percentile(apiLatencies, 99);
  const slowest = [...worst].sort((a, b) => b.maxMs - a.maxMs).slice(0, 3);
  console.log(
    `slowest reports (last delivery): ${slowest.map((w) => `${w.percent} % at ${(w.atMs / 1000).toFixed(1)} s: ${w.maxMs.toFixed(0)} ms`).join("; ")}; the API's own work that ended during the ${phaseSeconds.toFixed(1)} s: ${describeWork(during)}`,
  );
  console.log(`target: p99 ≤ 50 ms with ${N} subscribers: ${p99 <= 50 && missing === 0 ? "met" : "MISSED"}`);
  console.log(`fanout-p50-ms: ${percentile(apiLatencies, 50).toFixed(1)}`);
  console.log(`fanout-p99-ms: ${p99.toFixed(1)}`);
  console.log(`fanout-raw-p50-ms: ${percentile(rawLatencies, 50).toFixed(1)}`);
  console.log(`fanout-raw-p99-ms: ${percentile(rawLatencies, 99).toFixed(1)}`);
  console.log(`fanout-missing: ${missing}`);
  console.log(
    `fanout-ratio-p50: ${(percentile(apiLatencies, 50) / percentile(rawLatencies, 50)).toFixed(2)}`,
  );
  console.log(`fanout-ratio-p99: ${(p99 / percentile(rawLatencies, 99)).toFixed(2)}`);
}
