// Issue 7: two API replicas on one PostgreSQL and one Redis, agents as separate processes.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  enrollmentToken,
  type Proc,
  startApiProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { fleetIds, MIGRATION_GQL, MOVE_GQL, PREFLIGHT_GQL, pairWorld } from "../migrations/world.ts";
import { wsConnect, wsOnce } from "../security/transport.ts";

const redisUrl = process.env.REDIS_URL || undefined;

let dir: string;
let database: TestDatabaseEnv;
const replicas: { name: string; url: string; proc: Proc; port: number }[] = [];
const agents: Proc[] = [];

async function startReplica(name: string) {
  const { url, proc, port } = await startApiProcess({
    FERRY_REPLICA_ID: name,
    REDIS_URL: redisUrl!,
    // The database backstop out of the way: a revoked token's socket on the other replica can only be
    // closed by the revocation message through Redis.
    FERRY_SOCKET_SWEEP_SECONDS: "3600",
    ...database.env,
  });
  replicas.push({ name, url, proc, port });
  return { url, proc };
}

const [A, B] = [0, 1];
const url = (i: number) => replicas[i]!.url;

async function hostReplica(host: string): Promise<string | null> {
  const h = await (await import("pg")).default;
  const client = new h.Client({ connectionString: database.env.DATABASE_URL });
  await client.connect();
  const r = await client.query('SELECT "agentReplica" FROM "Host" WHERE name = $1', [host]);
  await client.end();
  return (r.rows[0]?.agentReplica as string | null)?.split("/")[0] ?? null;
}

beforeAll(async () => {
  if (!postgresUrl || !redisUrl) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-replicas-"));
  SimWorld.openFile(path.join(dir, "world.json"), pairWorld(8, 2, 8));
  database = await freshDatabase();
  const started = await Promise.all([startReplica("replica-a"), startReplica("replica-b")]);
  await Promise.all(started.map((r) => waitForReady(r.url, r.proc)));
  // HV1's agent prefers replica A (and fails over to B); HV2's agent uses B.
  const plan: [string, string][] = [
    ["HV1", `${url(A)},${url(B)}`],
    ["HV2", url(B)],
  ];
  for (const [host, api] of plan) {
    agents.push(startSimulatedAgent(api, dir, host, await enrollmentToken(url(B), host, ADMIN_TOKEN)));
  }
  await eventually(
    async () => (await hostReplica("HV1")) === "replica-a" && (await hostReplica("HV2")) === "replica-b",
    30_000,
    "agents connected",
  );
  await eventually(
    async () => (await fleetIds((q) => gqlOk(url(B), q))).vms["vm-8"],
    30_000,
    "inventory reported",
  );
});

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await Promise.allSettled(replicas.map((r) => r.proc.stop()));
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!postgresUrl || !redisUrl)(
  "two API replicas on PostgreSQL + Redis (needs DATABASE_URL and REDIS_URL; .ci/run provides both)",
  () => {
    it("delivers a command issued through replica B to the agent connected to replica A", async () => {
      const ids = await fleetIds((q) => gqlOk(url(B), q));
      // Preflight on B asks HV1's agent (on A) for Compare-VM and waits for its answer.
      const report = await gqlOk<{ migrationPreflight: { checks: { name: string; status: string }[] } }>(
        url(B),
        PREFLIGHT_GQL,
        {
          input: { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2 },
        },
      );
      expect(report.migrationPreflight.checks.find((c) => c.name === "compare-vm")).toMatchObject({
        status: "PASS",
      });
    });

    it("revoking a token on replica B closes its socket on replica A at once (through Redis)", async () => {
      const created = await gqlOk<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
        url(B),
        `mutation { createApiToken(input: {name: "revoked-across", role: VIEWER}) { secret apiToken { id } errors { message } } }`,
      );
      const { secret, apiToken } = created.createApiToken;
      const client = wsConnect(url(A), secret);
      expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({
        viewer: { name: "revoked-across" },
      });
      const closed = new Promise<{ code: number; at: number }>((resolve) =>
        client.on("closed", (e) => resolve({ code: (e as { code: number }).code, at: Date.now() })),
      );
      const revokedAt = Date.now();
      await gqlOk(url(B), "mutation($id: ID!) { revokeApiToken(id: $id) { errors { message } } }", {
        id: apiToken.id,
      });
      // The sweep runs hourly here: only the message can close it, and it does within the wait.
      const end = await Promise.race([
        closed,
        new Promise<null>((resolve) => setTimeout(() => resolve(null), 20_000)),
      ]);
      expect(end?.code).toBe(4403);
      console.log(
        `revocation on B closed the socket on A ${end!.at - revokedAt} ms after the mutation was sent`,
      );
      await client.dispose();
    });

    it("holds the host limit under concurrent requests on both replicas, starts each move once, and streams progress across replicas", async () => {
      const ids = await fleetIds((q) => gqlOk(url(A), q));
      const client = wsClient(url(B), ADMIN_TOKEN);
      const names = ["vm-1", "vm-2", "vm-3", "vm-4", "vm-5", "vm-6"];
      const results = await Promise.all(
        names.map((vm, i) =>
          gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(
            url(i % 2 === 0 ? A : B),
            MOVE_GQL,
            {
              input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2 },
            },
          ),
        ),
      );
      const migrationIds = results.map((r) => {
        expect(r.moveVm.errors).toBeNull();
        return r.moveVm.migration!.id;
      });
      // A subscriber on B follows a migration whose agent is connected to A.
      const progress = collect<{ migrationProgress: { state: string; percentComplete: number } }>(
        client,
        "subscription($id: ID!) { migrationProgress(id: $id) { state percentComplete } }",
        { id: migrationIds[0] },
      );
      const done = await eventually(
        async () => {
          const all = await Promise.all(
            migrationIds.map((id) =>
              gqlOk<{ node: { state: string; startedAt: string; finishedAt: string } }>(
                url(B),
                MIGRATION_GQL,
                { id },
              ),
            ),
          );
          return all.every((m) => m.node.state === "SUCCEEDED") ? all.map((m) => m.node) : null;
        },
        120_000,
        "all six moves succeed",
      );
      const edges = done
        .flatMap((m) => [
          { t: Date.parse(m.startedAt), d: 1 },
          { t: Date.parse(m.finishedAt), d: -1 },
        ])
        .sort((a, b) => a.t - b.t || a.d - b.d);
      let running = 0;
      let peak = 0;
      for (const e of edges) {
        running += e.d;
        peak = Math.max(peak, running);
      }
      expect(peak).toBeLessThanOrEqual(2);
      await eventually(async () => progress.completed, 30_000, "progress stream on B completes");
      const percents = progress.events.map((e) => e.migrationProgress.percentComplete);
      expect(percents.length).toBeGreaterThan(1);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(progress.events.at(-1)!.migrationProgress.state).toBe("SUCCEEDED");
      await client.dispose();
      const pg = (await import("pg")).default;
      const c = new pg.Client({ connectionString: database.env.DATABASE_URL });
      await c.connect();
      const starts = await c.query(
        `SELECT "migrationId", count(*)::int AS n FROM "AgentCommand" WHERE type = 'START_MOVE' GROUP BY "migrationId"`,
      );
      await c.end();
      expect(starts.rows.map((r) => r.n)).toEqual(names.map(() => 1));
      const world = SimWorld.openFile(path.join(dir, "world.json"));
      const jobs = await world.backend("HV1").listJobs();
      expect(jobs.filter((j) => j.state === "COMPLETED")).toHaveLength(names.length);
    });

    it("when replica A is killed its agent reconnects to B and the running migration completes", async () => {
      const ids = await fleetIds((q) => gqlOk(url(B), q));
      const r = await gqlOk<{ moveVm: { migration: { id: string } } }>(url(B), MOVE_GQL, {
        input: { vm: ids.vms["vm-7"], destinationHost: ids.hosts.HV2 },
      });
      const id = r.moveVm.migration.id;
      await eventually(
        async () =>
          (await gqlOk<{ node: { state: string } }>(url(B), MIGRATION_GQL, { id })).node.state === "RUNNING",
        30_000,
        "vm-7 running",
      );
      await replicas[A]!.proc.stop("SIGKILL");
      await eventually(
        async () => (await hostReplica("HV1")) === "replica-b",
        60_000,
        "HV1's agent reconnected to replica B",
      );
      const done = await eventually(
        async () => {
          const m = (
            await gqlOk<{ node: { state: string; vm: { host: { name: string } } } }>(url(B), MIGRATION_GQL, {
              id,
            })
          ).node;
          return m.state === "SUCCEEDED" ? m : null;
        },
        60_000,
        "vm-7 succeeds after the failover",
      );
      expect(done.vm.host.name).toBe("HV2");
    });
  },
);
