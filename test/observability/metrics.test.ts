// Issue 15: GET /metrics exposes every ferry_* metric with values that match what happened (two
// succeeded moves -> ferry_migrations_total says 2), the yoga GraphQL metrics, Bearer auth on the API
// port, FERRY_METRICS_LISTEN without a token, and no VM names or ids as labels.

import { failLost, failNextAuditWrites, recordJobUpdate, type SchedulerRound } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { pairWorld } from "../migrations/world.ts";

let api: TestApi;
let fleet: TestFleet;

async function scrape(token: string | null = ADMIN_TOKEN): Promise<{ status: number; text: string }> {
  const res = await fetch(`${api.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, text: await res.text() };
}

/** The value of the sample `name` whose labels include `labels` (label order does not matter). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  throw new Error(`no sample ${name} ${JSON.stringify(labels)} in\n${text.slice(0, 3000)}`);
}

const MOVABLE = /* GraphQL */ `{ hosts(first: 10) { edges { node { id name vms(first: 50) { edges { node { id name state } } } } } } }`;

beforeAll(async () => {
  // Three starts per scheduler round: the scheduler test makes a queue of 7 due at once. A readiness
  // sweep every second (default 60): the sweep test waits for two.
  api = await startTestApi({
    FERRY_METRICS_LISTEN: "127.0.0.1:0",
    FERRY_SCHEDULER_STARTS_PER_ROUND: "3",
    FERRY_READINESS_SWEEP_SECONDS: "1",
  });
  // HV1 -> HV2 with shared storage (the migrations tests' world): every move passes preflight. Up to 10
  // moves at once on each host.
  fleet = await startTestFleet(api, { definition: pairWorld(10, 10, 50) });
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

describe("/metrics", () => {
  it("needs a valid API token on the API port", async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape("not-a-token")).status).toBe(401);
    const viewer = await api.gqlOk<{ createApiToken: { secret: string } }>(
      `mutation { createApiToken(input: {name: "prometheus", role: VIEWER}) { secret } }`,
    );
    const ok = await scrape(viewer.createApiToken.secret);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("# TYPE ferry_migrations_total counter");
  });

  it("two succeeded moves: the counter says 2, durations and queue waits observed twice, nothing queued or running", async () => {
    const data = await api.gqlOk<{
      hosts: {
        edges: {
          node: {
            id: string;
            name: string;
            vms: { edges: { node: { id: string; name: string; state: string } }[] };
          };
        }[];
      };
    }>(MOVABLE);
    const source = data.hosts.edges.map((e) => e.node).find((h) => h.name === "HV1");
    const destination = data.hosts.edges.map((e) => e.node).find((h) => h.name === "HV2");
    const vms = source!.vms.edges.map((e) => e.node).filter((v) => v.state === "RUNNING");
    const moved: string[] = [];
    for (const vm of vms) {
      if (moved.length === 2) break;
      const r = await api.gql<{ moveVm: { migration: { id: string } | null } }>(
        `mutation($input: MoveVmInput!) { moveVm(input: $input) { migration { id } errors { __typename message } } }`,
        { input: { vm: vm.id, destinationHost: destination!.id } },
      );
      if (r.data.moveVm?.migration) moved.push(r.data.moveVm.migration.id);
      else throw new Error(`moveVm refused: ${JSON.stringify(r)}`);
    }
    expect(moved).toHaveLength(2);
    await eventually(
      async () => {
        const states = await Promise.all(
          moved.map(
            async (id) =>
              (
                await api.gqlOk<{ node: { state: string } }>(
                  `query($id: ID!) { node(id: $id) { ... on Migration { state } } }`,
                  { id },
                )
              ).node.state,
          ),
        );
        return states.every((s) => s === "SUCCEEDED");
      },
      120_000,
      "both moves succeeded",
    );
    const { text } = await eventually(
      async () => {
        const s = await scrape();
        return value(s.text, "ferry_migrations_total", { kind: "LIVE", state: "SUCCEEDED" }) === 2 ? s : null;
      },
      30_000,
      "the counter says 2",
    );
    expect(value(text, "ferry_migrations_total", { kind: "LIVE", state: "FAILED" })).toBe(0);
    expect(value(text, "ferry_migration_duration_seconds_count", { kind: "LIVE", state: "SUCCEEDED" })).toBe(
      2,
    );
    expect(value(text, "ferry_migration_queue_wait_seconds_count", { kind: "LIVE" })).toBe(2);
    expect(value(text, "ferry_migrations_queued")).toBe(0);
    expect(value(text, "ferry_migrations_running")).toBe(0);
    expect(value(text, "ferry_agents_connected")).toBe(2);
    expect(
      value(text, "ferry_agent_command_round_trip_seconds_count", {
        type: "START_MOVE",
        status: "SUCCEEDED",
      }),
    ).toBe(2);
    expect(value(text, "ferry_inventory_reports_total", { outcome: "ok" })).toBeGreaterThanOrEqual(2);
    expect(value(text, "ferry_inventory_ingest_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(value(text, "ferry_maintenance_drains_in_progress")).toBe(0);
    expect(text).toMatch(/^graphql_envelop_phase_execute_count\{/m);
    expect(text).toMatch(/^graphql_yoga_http_duration_count\{/m);
    // Low cardinality: no VM names, no ids in any label.
    for (const vm of vms) {
      expect(text).not.toContain(vm.name);
      expect(text).not.toContain(vm.id);
    }
    for (const id of moved) expect(text).not.toContain(id);
  });

  it("a provisional end corrected by the real outcome counts once in ferry_migrations_total, and as a correction", async () => {
    const prisma = api.server.app.db.prisma;
    // Hosts without agents, and RUNNING moves written directly (the scheduler never touches them).
    const [source, destination] = await Promise.all(
      ["C1", "C2"].map((name) => prisma.host.create({ data: { name, delegations: [] } })),
    );
    const running = (n: number) =>
      prisma.migration.create({
        data: {
          kind: "LIVE",
          state: "RUNNING",
          vmGuid: `cccccccc-0000-4000-8000-${String(n).padStart(12, "0")}`,
          vmName: `corrected-${n}`,
          sourceHostId: source!.id,
          destinationHostId: destination!.id,
          requestedBy: "test",
          startedAt: new Date(),
        },
      });
    const job = (migrationId: string, state: "RUNNING" | "COMPLETED") => ({
      migrationId,
      jobId: `job-${migrationId}`,
      state,
      percentComplete: state === "COMPLETED" ? 100 : 40,
      errorCode: null,
      errorMessage: null,
      eventId: null,
    });
    const lost = { code: "AGENT_LOST", message: "away too long", eventId: null };
    const before = (await scrape()).text;
    const failed = value(before, "ferry_migrations_total", { kind: "LIVE", state: "FAILED" });
    const succeeded = value(before, "ferry_migrations_total", { kind: "LIVE", state: "SUCCEEDED" });
    const app = api.server.app;
    // 1: FAILED AGENT_LOST (provisional), then the job's real outcome COMPLETED corrects it to SUCCEEDED.
    const a = await running(1);
    expect((await failLost(app, a.id, lost))?.state).toBe("FAILED");
    await recordJobUpdate(app, source!.id, job(a.id, "COMPLETED"));
    // 2: FAILED AGENT_LOST, reopened by a "running" report, then it ends SUCCEEDED (a second end).
    const b = await running(2);
    expect((await failLost(app, b.id, lost))?.state).toBe("FAILED");
    await recordJobUpdate(app, source!.id, job(b.id, "RUNNING"));
    expect((await prisma.migration.findUniqueOrThrow({ where: { id: b.id } })).state).toBe("RUNNING");
    await recordJobUpdate(app, source!.id, job(b.id, "COMPLETED"));
    for (const id of [a.id, b.id])
      expect((await prisma.migration.findUniqueOrThrow({ where: { id } })).state).toBe("SUCCEEDED");
    const durations = (t: string) => {
      try {
        return value(t, "ferry_migration_duration_seconds_count", { kind: "LIVE", state: "FAILED" });
      } catch {
        return 0;
      }
    };
    // Each migration counted once, at its first end (FAILED, with its duration); the corrections say
    // where they went. (The hooks run after the commits: wait for all four observations.)
    const { text } = await eventually(
      async () => {
        const s = await scrape();
        const corrections = value(s.text, "ferry_migration_corrections_total", {
          kind: "LIVE",
          from: "FAILED",
          to: "SUCCEEDED",
        });
        const ended = value(s.text, "ferry_migrations_total", { kind: "LIVE", state: "FAILED" });
        return corrections === 2 && ended === failed + 2 && durations(s.text) === durations(before) + 2
          ? s
          : null;
      },
      30_000,
      "two first ends and two corrections counted",
    );
    // The later SUCCEEDED ends are not counted again as ends (before: SUCCEEDED +2 as well).
    expect(value(text, "ferry_migrations_total", { kind: "LIVE", state: "SUCCEEDED" })).toBe(succeeded);
  });

  it("counts audit write failures", async () => {
    const before = value((await scrape()).text, "ferry_audit_write_failures_total");
    failNextAuditWrites(1);
    // The next audit write fails once (this mutation's entry, or an agent's command outcome written meanwhile).
    await api.gql(`mutation { createApiToken(input: {name: "maybe-refused", role: VIEWER}) { secret } }`);
    await eventually(
      async () => value((await scrape()).text, "ferry_audit_write_failures_total") === before + 1,
      30_000,
      "the failure counted",
    );
  });

  it("FERRY_METRICS_LISTEN serves /metrics on its own address without a token", async () => {
    const port = api.server.metricsPort!;
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("ferry_migrations_total");
    expect((await fetch(`http://127.0.0.1:${port}/graphql`)).status).toBe(404);
  });

  it("a due queue longer than a round starts in one pass of several rounds, counted in ferry_scheduler_*", async () => {
    const app = api.server.app;
    const prisma = app.db.prisma;
    const before = (await scrape()).text;
    const started0 = value(before, "ferry_scheduler_starts_total", { outcome: "started" });
    const rounds0 = value(before, "ferry_scheduler_round_seconds_count");
    const data = await api.gqlOk<{
      hosts: {
        edges: {
          node: { id: string; name: string; vms: { edges: { node: { id: string; state: string } }[] } };
        }[];
      };
    }>(MOVABLE);
    const hosts = data.hosts.edges.map((e) => e.node);
    const source = hosts.find((h) => h.name === "HV1")!;
    const destination = hosts.find((h) => h.name === "HV2")!;
    const running = source.vms.edges.map((e) => e.node).filter((v) => v.state === "RUNNING");
    expect(running.length).toBeGreaterThanOrEqual(7);
    // Ahead of them in the queue: 1,000 moves scheduled for tomorrow (hosts without agents). They must not
    // hide the due moves behind them (the scheduler once read only the queue's first 1,000).
    const [s1, s2] = await Promise.all(
      ["S1", "S2"].map((name) => prisma.host.create({ data: { name, delegations: [] } })),
    );
    const tomorrow = new Date(Date.now() + 86_400_000);
    await prisma.migration.createMany({
      data: Array.from({ length: 1000 }, (_, n) => ({
        kind: "LIVE" as const,
        state: "QUEUED" as const,
        vmGuid: `eeeeeeee-0000-4000-8000-${String(n).padStart(12, "0")}`,
        vmName: `tomorrow-${n}`,
        sourceHostId: s1!.id,
        destinationHostId: s2!.id,
        requestedBy: "test",
        notBefore: tomorrow,
      })),
    });
    // Scheduled an hour ahead, then made due together by one statement: one pass sees all 7 due at once.
    for (const vm of running.slice(0, 7)) {
      const r = await api.gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown[] | null } }>(
        `mutation($input: MoveVmInput!) { moveVm(input: $input) { migration { id } errors { __typename message } } }`,
        {
          input: {
            vm: vm.id,
            destinationHost: destination.id,
            notBefore: new Date(Date.now() + 3_600_000).toISOString(),
          },
        },
      );
      expect(r.moveVm.errors ?? []).toEqual([]);
      expect(r.moveVm.migration).not.toBeNull();
    }
    // The earlier tests' moves have all ended: these 7 are the rest of the queue.
    const hv1 = await prisma.host.findFirstOrThrow({ where: { name: "HV1" } });
    const rows = await prisma.migration.findMany({
      where: { state: "QUEUED", sourceHostId: hv1.id },
      select: { id: true },
    });
    expect(rows).toHaveLength(7);
    const rounds: SchedulerRound[] = [];
    const unlisten = app.hooks.on("schedulerRound", (round) => void rounds.push(round));
    try {
      const { count } = await prisma.migration.updateMany({
        where: { id: { in: rows.map((r) => r.id) } },
        data: { notBefore: new Date() },
      });
      expect(count).toBe(7);
      await eventually(
        async () =>
          (await prisma.migration.count({
            where: { id: { in: rows.map((r) => r.id) }, state: "QUEUED" },
          })) === 0,
        60_000,
        "the 7 moves left the queue",
      );
    } finally {
      unlisten();
    }
    // Every round started at most 3, and one pass started all 7: rounds of 3, 3 and 1, each of the first
    // two capped (another round followed at once), the last not.
    for (const r of rounds) expect(r.started).toBeLessThanOrEqual(3);
    const pass = rounds.find((r) => r.started > 0)!.pass;
    const ofPass = rounds.filter((r) => r.pass === pass);
    expect(ofPass.map((r) => [r.round, r.started, r.refused, r.capped])).toEqual([
      [1, 3, 0, true],
      [2, 3, 0, true],
      [3, 1, 0, false],
    ]);
    const { text } = await eventually(
      async () => {
        const s = await scrape();
        return value(s.text, "ferry_scheduler_starts_total", { outcome: "started" }) === started0 + 7
          ? s
          : null;
      },
      30_000,
      "7 starts counted",
    );
    expect(value(text, "ferry_scheduler_starts_total", { outcome: "refused" })).toBe(0);
    expect(value(text, "ferry_scheduler_round_seconds_count")).toBeGreaterThanOrEqual(rounds0 + 3);
    expect(await prisma.migration.count({ where: { state: "QUEUED", sourceHostId: s1!.id } })).toBe(1000);
    await prisma.migration.deleteMany({ where: { sourceHostId: s1!.id } });
  });

  it("times every readiness sweep, and counts the summary change only a sweep could see", async () => {
    const prisma = api.server.app.db.prisma;
    const hv1 = await prisma.host.findFirstOrThrow({ where: { name: "HV1" } });
    const sweeps = async () => value((await scrape()).text, "ferry_readiness_sweep_seconds_count");
    // The sweep has recorded HV1's summary (its first one raises no event).
    await eventually(
      async () => (await prisma.hostReadinessSeen.count({ where: { hostId: hv1.id } })) === 1,
      60_000,
      "HV1's readiness recorded",
    );
    const before = (await scrape()).text;
    const changes0 = value(before, "ferry_readiness_changes_total");
    const sweeps0 = value(before, "ferry_readiness_sweep_seconds_count");
    // Nothing was reported: the recorded summary is made stale behind the API's back, so only the sweep
    // of every host can find HV1's readiness different from what was recorded.
    await prisma.hostReadinessSeen.update({ where: { hostId: hv1.id }, data: { summary: "stale" } });
    await eventually(
      async () =>
        (await prisma.hostReadinessSeen.findUniqueOrThrow({ where: { hostId: hv1.id } })).summary !== "stale",
      60_000,
      "the sweep recorded HV1's summary again",
    );
    const after = (await scrape()).text;
    expect(value(after, "ferry_readiness_changes_total")).toBeGreaterThanOrEqual(changes0 + 1);
    // The sweep that found it was timed (its metrics follow its last statement).
    await eventually(async () => (await sweeps()) >= sweeps0 + 1, 60_000, "a sweep timed");
    expect(value(after, "ferry_readiness_sweep_seconds_sum")).toBeGreaterThan(0);
  });
});
