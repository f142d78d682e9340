// One agent process of the scale benchmark (started by scale-fleet.ts): a slice [from, to) of the
// simulated fleet (generateFleet, the same seed in every process, so each slice is the same hosts
// the benchmark enrolled), one lightweight agent per host (agents.ts: real WebSocket, real link code,
// simulated backend), each connected to the replica the benchmark assigned. Talks to the benchmark
// over IPC; exits when the IPC channel closes (the benchmark ended or died: no orphans).
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { reportedEventually, type SimAgent, startSimAgent } from "./agents.ts";
import type { FromChild, ToChild } from "./scale-fleet.ts";

const send = (m: FromChild) => {
  if (process.connected) process.send!(m);
};
process.on("disconnect", () => process.exit(1));

let world: SimWorld | null = null;
let agents: SimAgent[] = [];

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
};

async function handle(m: ToChild): Promise<void> {
  if (m.type === "init") {
    const def = generateFleet({ hosts: m.fleetHosts, vmsPerHost: m.vmsPerHost, seed: m.seed });
    const hosts = def.hosts.slice(m.from, m.to);
    const names = new Set(hosts.map((h) => h.facts.name));
    const delegations = Object.fromEntries(Object.entries(def.delegations).filter(([k]) => names.has(k)));
    world = SimWorld.create({ ...def, hosts, delegations });
    send({ type: "initialized", rssBytes: process.memoryUsage().rss });
    return;
  }
  if (m.type === "connect") {
    if (!world) throw new Error("connect before init");
    const t0 = performance.now();
    agents = m.agents.map((c) => {
      const agent = startSimAgent(m.urls[c.replica]!, c, world!.backend(c.hostName));
      agent.onStartMove = (migrationId) => send({ type: "startMove", migrationId });
      return agent;
    });
    let ready = 0;
    let retried = 0;
    const readyAt: number[] = new Array(agents.length).fill(0);
    const progress = setInterval(() => send({ type: "ready", count: ready }), 2000);
    try {
      await Promise.all(
        agents.map((a, i) =>
          reportedEventually(a, () => retried++).then(() => {
            readyAt[i] = performance.now();
            ready++;
          }),
        ),
      );
    } finally {
      clearInterval(progress);
    }
    const times = readyAt.map((t) => t - t0);
    send({
      type: "connected",
      agents: agents.length,
      readyP50Ms: percentile(times, 50),
      readyMaxMs: Math.max(...times),
      reconnects: agents.reduce((n, a) => n + a.reconnects, 0),
      retriedReports: retried,
    });
    return;
  }
  if (m.type === "stats") {
    send({
      type: "stats",
      rssBytes: process.memoryUsage().rss,
      reconnects: agents.reduce((n, a) => n + a.reconnects, 0),
    });
    return;
  }
  if (m.type === "close") {
    await Promise.race([
      Promise.allSettled(agents.map((a) => a.close())),
      new Promise((r) => setTimeout(r, 10_000)),
    ]);
    process.exit(0);
  }
}

process.on("message", (m: ToChild) => {
  handle(m).catch((error: Error) => send({ type: "error", message: error.stack ?? String(error) }));
});
