// Evacuation: a simulated fleet of 20 hosts, one of them (HV-00) holding 40 VMs, is drained with
// startMaintenance (placement spreads the VMs; the queue keeps every host's limits) and measured
// against evacuationPlan's lower bound (everything to transfer ÷ what the source's and destinations'
// slot limits and links allow at once). Then the VMs come back (endMaintenance) and the naive
// baseline runs on the same fleet: every VM sent with moveVm to the single emptiest host. The world
// is sampled every 100 ms for memory overcommit: how far any host's free memory fell below its
// reserve (Host.memoryReserveBytes). Everything in one process: API (PGlite, or PostgreSQL with
// BENCH_DATABASE_URL / DATABASE_URL), agents and simulator.
// Ratio lines: evacuation-makespan-ratio (drain makespan ÷ lower bound, target ≤ 1.3),
// evacuation-vs-naive (drain makespan ÷ naive makespan), evacuation-peak-overcommit-bytes (must be 0).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFleet, type WorldDefinition } from "@ferry/agent/simulator";
import { createLogger, loadConfig, startApiServer } from "@ferry/api/server";
import { GiB, testHost, testVm } from "../test/helpers/sim-world.ts";

const ADMIN_TOKEN = "bench-admin-token-0123456789";
const TIME_SCALE = Number(process.env.BENCH_EVACUATION_TIME_SCALE ?? 4);
const SOURCE_SLOTS = 8;
const HOSTS = 20;
const VMS = 40;

/** 20 Intel hosts on one 10 Gbit/s migration network, shared storage; HV-00 holds 40 VMs of 4-32 GiB. */
export function evacuationWorld(): WorldDefinition {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const hosts = Array.from({ length: HOSTS }, (_, i) => {
    const h = testHost(`HV-${String(i).padStart(2, "0")}`, 10 + i);
    h.networkAdapters[0]!.linkSpeedBps = 10_000_000_000n;
    h.facts.memoryCapacityBytes = (i === 0 ? 1024n : i === HOSTS - 1 ? 1024n : 384n) * GiB;
    return h;
  });
  hosts[0]!.settings.maximumVirtualMachineMigrations = SOURCE_SLOTS;
  let k = 0;
  const vm = (name: string, gib: number) =>
    testVm(name, `bbbbbbbb-0000-4000-8000-${String(++k).padStart(12, "0")}`, {
      memoryAssignedBytes: BigInt(gib) * GiB,
      memoryStartupBytes: BigInt(gib) * GiB,
      cpuUsage: 10 + Math.floor(rand() * 30),
    });
  const sizes = [4, 8, 8, 12, 16, 16, 24, 32];
  hosts[0]!.vms = Array.from({ length: VMS }, (_, v) =>
    vm(`evac-${String(v + 1).padStart(2, "0")}`, sizes[Math.floor(rand() * sizes.length)]!),
  );
  // The others already run 4-14 VMs (the last one, the emptiest, runs none).
  for (const h of hosts.slice(1, -1)) {
    h.vms = Array.from({ length: 4 + Math.floor(rand() * 11) }, (_, v) =>
      vm(`${h.facts.name.toLowerCase()}-${v + 1}`, sizes[Math.floor(rand() * sizes.length)]!),
    );
  }
  return {
    seed: 11,
    timeScale: TIME_SCALE,
    hosts,
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 100_000n * GiB }],
    delegations: Object.fromEntries(hosts.map((h) => [h.facts.name, []])),
  };
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await r.json()) as { data: T; errors?: unknown[] };
  if (body.errors?.length) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;
};
const medianP90 = (xs: number[]) => `${quantile(xs, 0.5).toFixed(0)} / ${quantile(xs, 0.9).toFixed(0)}`;

type DrainMove = {
  vmGuid: string;
  destinationHostId: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
};

/**
 * Where a drain loses time against its lower bound, per move, in wall milliseconds (median / p90):
 * from STARTING (the scheduler's decision) to the Hyper-V job's start (START_MOVE over the socket, the
 * claim, Move-VM), from the job's end to SUCCEEDED recorded (the agent's polling and report), and
 * from a source slot freeing to the next start on it (the scheduler's pass). The simulator's own job
 * records give Hyper-V's side.
 */
function overheadLine(
  moves: DrainMove[],
  world: {
    run<T>(
      fn: (m: {
        state: { jobs: { vmId: string; destination: string; startedAt: number; endAt: number }[] };
      }) => T,
    ): T;
  },
  hostNames: { id: string; name: string }[],
): string {
  const nameOf = new Map(
    hostNames.map((h) => [Buffer.from(h.id, "base64").toString("utf8").split(":")[1]!, h.name]),
  );
  const jobs = world.run((m) => m.state.jobs.map((j) => ({ ...j })));
  const starts: number[] = [];
  const ends: number[] = [];
  for (const mv of moves) {
    if (!mv.startedAt || !mv.finishedAt) continue;
    const dest = nameOf.get(mv.destinationHostId ?? "");
    const job = jobs.find(
      (j) =>
        j.vmId.toLowerCase() === mv.vmGuid.toLowerCase() &&
        j.destination === dest &&
        j.startedAt >= mv.startedAt!.getTime() - 1000 &&
        j.startedAt <= mv.finishedAt!.getTime(),
    );
    if (!job) continue;
    starts.push(job.startedAt - mv.startedAt.getTime());
    ends.push(mv.finishedAt.getTime() - job.endAt);
  }
  // Source-bound drain: after the first SOURCE_SLOTS starts, the i-th start takes the slot the i-th end freed.
  const startTimes = moves.map((m) => m.startedAt!.getTime()).sort((a, b) => a - b);
  const endTimes = moves.map((m) => m.finishedAt!.getTime()).sort((a, b) => a - b);
  const gaps = startTimes
    .slice(SOURCE_SLOTS)
    .map((t, i) => t - endTimes[i]!)
    .filter((g) => g >= 0);
  return `per-move overhead, wall ms median / p90 (${starts.length} moves): STARTING -> Hyper-V job ${medianP90(starts)}; job end -> SUCCEEDED ${medianP90(ends)}; source slot freed -> next start ${medianP90(gaps)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(probe: () => Promise<T | null | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await probe();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function runEvacuationBench(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-bench-evac-"));
  // A fresh database: on the PostgreSQL server of BENCH_DATABASE_URL / DATABASE_URL, else PGlite.
  process.env.DATABASE_URL ||= process.env.BENCH_DATABASE_URL ?? "";
  const { freshDatabase } = await import("../test/helpers/database.ts"); // reads DATABASE_URL when loaded
  const database = await freshDatabase();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    FERRY_RATE_LIMIT_PER_SECOND: "0",
    FERRY_LOG_LEVEL: "error",
    ...database.env,
  });
  console.log(`database: ${database.kind}`);
  const server = await startApiServer(config, { logger: createLogger("error") });
  const url = server.url;
  const fleet = await startFleet({
    apiUrl: url,
    adminToken: ADMIN_TOKEN,
    stateDir: path.join(dataDir, "fleet"),
    hosts: HOSTS,
    seed: 1,
    timeScale: TIME_SCALE,
    world: "memory",
    definition: evacuationWorld(),
  });
  const prisma = server.app.db.prisma;
  try {
    await until(
      async () =>
        (await prisma.host.count({ where: { inventoryReportedAt: { not: null }, agentConnected: true } })) ===
        HOSTS,
      120_000,
      "every host's inventory",
    );
    const hosts = await gql<{ hosts: { edges: { node: { id: string; name: string } }[] } }>(
      url,
      "{ hosts(first: 50) { edges { node { id name } } } }",
    );
    const hostId = Object.fromEntries(hosts.hosts.edges.map(({ node }) => [node.name, node.id]));
    const reserve = Object.fromEntries(
      (await prisma.host.findMany({ select: { name: true, memoryReserveBytes: true } })).map((h) => [
        h.name,
        h.memoryReserveBytes,
      ]),
    );

    // Overcommit sampler over the simulated hosts (Hyper-V's truth).
    let peakOvercommit = 0n;
    let sampling = true;
    let phasePeak = 0n;
    const sampler = (async () => {
      while (sampling) {
        for (const [name, free] of fleet.world.run((m) =>
          fleet.world.hostNames().map((n) => [n, m.memoryAvailable(m.host(n)!)] as const),
        )) {
          const over = reserve[name]! - free;
          if (over > phasePeak) phasePeak = over;
        }
        await sleep(100);
      }
    })();

    const plan = await gql<{
      evacuationPlan: {
        estimatedSeconds: number;
        lowerBoundSeconds: number;
        steps: { destination: { name: string } }[];
        unmovable: unknown[];
      };
    }>(
      url,
      `query($input: EvacuationPlanInput!) { evacuationPlan(input: $input) { estimatedSeconds lowerBoundSeconds steps { destination { name } } unmovable { vmName } } }`,
      { input: { host: hostId["HV-00"] } },
    );
    const p = plan.evacuationPlan;
    const destinations = new Set(p.steps.map((s) => s.destination.name));
    console.log(
      `plan: ${p.steps.length} moves onto ${destinations.size} hosts, ${p.unmovable.length} unmovable; estimated ${p.estimatedSeconds.toFixed(1)} s, lower bound ${p.lowerBoundSeconds.toFixed(1)} s (simulated)`,
    );

    // The drain.
    const t0 = Date.now();
    const started = await gql<{ startMaintenance: { maintenance: { id: string } } }>(
      url,
      `mutation($input: StartMaintenanceInput!) { startMaintenance(input: $input) { maintenance { id } errors { message } } }`,
      { input: { host: hostId["HV-00"] } },
    );
    const maintenanceId = started.startMaintenance.maintenance.id;
    const rowId = Buffer.from(maintenanceId, "base64").toString("utf8").split(":")[1]!;
    await until(
      async () => (await prisma.maintenance.findUnique({ where: { id: rowId } }))?.state === "IN_MAINTENANCE",
      1_800_000,
      "the drain",
    );
    const tDone = Date.now();
    const drain = await prisma.migration.findMany({ where: { maintenanceId: rowId } });
    const drainMoves = drain.filter(
      (m) => m.destinationHostId !== null && m.sourceHostId !== m.destinationHostId,
    );
    const first = Math.min(...drainMoves.map((m) => m.startedAt!.getTime()));
    const last = Math.max(...drainMoves.map((m) => m.finishedAt!.getTime()));
    const makespan = ((last - first) / 1000) * TIME_SCALE;
    const wholeDrain = ((tDone - t0) / 1000) * TIME_SCALE;
    console.log(
      overheadLine(
        drainMoves,
        fleet.world,
        hosts.hosts.edges.map((e) => e.node),
      ),
    );
    const drainPeak = phasePeak;
    peakOvercommit = drainPeak;
    const failed = drainMoves.filter((m) => m.state !== "SUCCEEDED").length;
    const used = new Set(drainMoves.map((m) => m.destinationHostId)).size;
    console.log(
      `drain: ${drainMoves.length - failed} moves succeeded, ${failed} failed, onto ${used} hosts; makespan ${makespan.toFixed(1)} s simulated (${((last - first) / 1000).toFixed(1)} s wall at time scale ${TIME_SCALE}); startMaintenance -> IN_MAINTENANCE ${wholeDrain.toFixed(1)} s simulated`,
    );

    // Back (endMaintenance returns them), then the naive baseline from the same starting point.
    await gql(
      url,
      `mutation($input: EndMaintenanceInput!) { endMaintenance(input: $input) { errors { message } } }`,
      {
        input: { host: hostId["HV-00"], returnVms: true },
      },
    );
    await until(
      async () => (await prisma.maintenance.findUnique({ where: { id: rowId } }))?.state === "ENDED",
      1_800_000,
      "the return",
    );
    const back = await prisma.virtualMachine.count({ where: { host: { name: "HV-00" } } });
    console.log(`return: ${back} of ${VMS} VMs back on HV-00`);

    phasePeak = 0n;
    const free = await gql<{ hosts: { edges: { node: { name: string; memoryAvailableBytes: string } }[] } }>(
      url,
      "{ hosts(first: 50) { edges { node { name memoryAvailableBytes } } } }",
    );
    const emptiest = free.hosts.edges
      .map((e) => e.node)
      .filter((h) => h.name !== "HV-00")
      .sort((a, b) => (BigInt(b.memoryAvailableBytes) > BigInt(a.memoryAvailableBytes) ? 1 : -1))[0]!.name;
    const vms = (
      await prisma.virtualMachine.findMany({
        where: { host: { name: "HV-00" } },
        select: { id: true, name: true },
      })
    ).map((r) => ({ id: Buffer.from(`VirtualMachine:${r.id}`).toString("base64"), name: r.name }));
    const naiveIds: string[] = [];
    const refusedNaive: string[] = [];
    for (const node of vms) {
      const r = await gql<{
        moveVm: { migration: { id: string } | null; errors: { message: string }[] | null };
      }>(
        url,
        `mutation($input: MoveVmInput!) { moveVm(input: $input) { migration { id } errors { message } } }`,
        { input: { vm: node.id, destinationHost: hostId[emptiest] } },
      );
      if (r.moveVm.migration)
        naiveIds.push(Buffer.from(r.moveVm.migration.id, "base64").toString("utf8").split(":")[1]!);
      else refusedNaive.push(`${node.name}: ${r.moveVm.errors?.[0]?.message}`);
    }
    const naive = await until(
      async () => {
        const rows = await prisma.migration.findMany({ where: { id: { in: naiveIds } } });
        return rows.every((m) => m.finishedAt) ? rows : null;
      },
      1_800_000,
      "the naive moves",
    );
    const naiveOk = naive.filter((m) => m.state === "SUCCEEDED");
    const nFirst = Math.min(...naive.map((m) => m.startedAt?.getTime() ?? Number.POSITIVE_INFINITY));
    const nLast = Math.max(...naive.map((m) => m.finishedAt!.getTime()));
    const naiveMakespan = ((nLast - nFirst) / 1000) * TIME_SCALE;
    sampling = false;
    await sampler;
    console.log(
      `naive (every VM to the emptiest host, ${emptiest}): ${naiveOk.length} moved, ${naive.length - naiveOk.length} failed, ${refusedNaive.length} refused; makespan ${naiveMakespan.toFixed(1)} s simulated; peak memory below reserve ${(Number(phasePeak) / 2 ** 30).toFixed(1)} GiB`,
    );
    console.log(`evacuation-makespan-ratio: ${(makespan / p.lowerBoundSeconds).toFixed(2)}`);
    console.log(`evacuation-vs-naive: ${(makespan / naiveMakespan).toFixed(2)}`);
    console.log(`evacuation-peak-overcommit-bytes: ${peakOvercommit}`);
  } finally {
    await fleet.stop();
    await server.stop();
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
