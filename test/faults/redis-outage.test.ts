// Issue 12 "Done when": two API replicas on PostgreSQL + Redis, Redis killed (SIGKILL) for 20 s while
// moves are requested and cancelled on both replicas. Hints are lost; commands must still be delivered
// from the database, and the state machine must keep every move exactly once. The simulator's world file
// is the ground truth for what Hyper-V did.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gql, gqlOk } from "../helpers/api.ts";
import { freshDatabase, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  enrollmentToken,
  freePort,
  type Proc,
  startApiProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import {
  CANCEL_GQL,
  fleetIds,
  MIGRATION_GQL,
  MOVE_GQL,
  PREFLIGHT_GQL,
  pairWorld,
} from "../migrations/world.ts";

const redisUrl = process.env.REDIS_URL || undefined;
const redisServer = spawnSync("redis-server", ["--version"]).status === 0;
const OUTAGE_MS = 20_000;
const ENDED = ["SUCCEEDED", "FAILED", "CANCELLED"];
const VMS = Array.from({ length: 8 }, (_, i) => `vm-${i + 1}`);

let dir: string;
let database: TestDatabaseEnv;
let redisPort: number;
let redis: ChildProcess | null = null;
const replicas: { url: string; proc: Proc }[] = [];
const agents: Proc[] = [];

/** Our own redis-server (not the shared one): this test kills it. */
async function startRedis(): Promise<void> {
  const child = spawn(
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  redis = child;
  await eventually(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(redisPort, "127.0.0.1");
        s.once("connect", () => {
          s.write("PING\r\n");
          s.once("data", (d) => {
            s.destroy();
            resolve(d.toString().startsWith("+PONG"));
          });
        });
        s.once("error", () => resolve(false));
      }),
    60_000,
    "redis-server answers PING",
  );
}

async function killRedis(): Promise<void> {
  const child = redis;
  redis = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

async function startReplica(name: string) {
  const { url, proc } = await startApiProcess({
    FERRY_REPLICA_ID: name,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    ...database.env,
  });
  replicas.push({ url, proc });
  return { url, proc };
}

const url = (i: number) => replicas[i % 2]!.url;

interface MigrationView {
  id: string;
  state: string;
  vmName: string;
  failure: { code: string } | null;
  timeline: { state: string; message: string | null }[];
}

const migration = async (id: string, via = 0) =>
  (await gqlOk<{ node: MigrationView }>(url(via), MIGRATION_GQL, { id })).node;

/** Hyper-V's view: every migration job the simulated world ran (settled as of now). */
function worldJobs() {
  const world = SimWorld.openFile(path.join(dir, "world.json"));
  return world.run((m) =>
    m.state.jobs.map((j) => ({ vmName: j.vmName, state: j.result?.state ?? "RUNNING" })),
  );
}

function vmHost(vmName: string): string | undefined {
  const world = SimWorld.openFile(path.join(dir, "world.json"));
  return world.definition().hosts.find((h) => h.vms.some((v) => v.name === vmName))?.facts.name;
}

beforeAll(async () => {
  if (!postgresUrl || !redisUrl || !redisServer) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-redis-outage-"));
  // Limit 2 on each host: moves queue, so some start while Redis is away and some are cancelled queued.
  SimWorld.openFile(path.join(dir, "world.json"), pairWorld(VMS.length, 2, 1));
  database = await freshDatabase();
  redisPort = await freePort();
  await startRedis();
  const started = await Promise.all([startReplica("replica-a"), startReplica("replica-b")]);
  await Promise.all(started.map((r) => waitForReady(r.url, r.proc, 240_000)));
  agents.push(
    startSimulatedAgent(`${url(0)},${url(1)}`, dir, "HV1", await enrollmentToken(url(0), "HV1", ADMIN_TOKEN)),
  );
  agents.push(startSimulatedAgent(url(1), dir, "HV2", await enrollmentToken(url(1), "HV2", ADMIN_TOKEN)));
  // Ready when a move HV1 -> HV2 passes preflight: both agents connected and both inventories reported.
  await eventually(
    async () => {
      const ids = await fleetIds((q) => gqlOk(url(0), q));
      if (!ids.vms[VMS.at(-1)!] || !ids.hosts.HV2) return false;
      const report = await gqlOk<{ migrationPreflight: { ok: boolean } }>(url(1), PREFLIGHT_GQL, {
        input: { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2 },
      });
      return report.migrationPreflight.ok;
    },
    180_000,
    "both agents connected and both inventories reported (preflight HV1 -> HV2 passes)",
  );
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await Promise.allSettled(replicas.map((r) => r.proc.stop()));
  await killRedis();
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!postgresUrl || !redisUrl || !redisServer)(
  "Redis outage between two replicas (needs DATABASE_URL, REDIS_URL and redis-server; .ci/run provides them)",
  () => {
    it("every move requested or cancelled during a 20 s Redis outage ends exactly once; cancelled moves never start in Hyper-V", {
      timeout: 900_000,
    }, async () => {
      const ids = await fleetIds((q) => gqlOk(url(0), q));
      const move = async (vm: string, via: number) => {
        const r = await gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(
          url(via),
          MOVE_GQL,
          {
            input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2 },
          },
        );
        expect(r.moveVm.errors, `moveVm(${vm})`).toBeNull();
        return r.moveVm.migration!.id;
      };
      const requested = new Map<string, string>(); // vm -> migration id
      // Two moves before the outage (they take the two slots).
      requested.set("vm-1", await move("vm-1", 0));
      requested.set("vm-2", await move("vm-2", 1));
      await eventually(
        async () => (await migration(requested.get("vm-1")!)).state === "RUNNING",
        120_000,
        "vm-1 running before the outage",
      );

      await killRedis();
      const outageEnds = Date.now() + OUTAGE_MS;
      // During the outage: six more moves, alternating replicas, and cancels through the other replica.
      /** State the cancel answered with: CANCELLED = ended before any agent took it; CANCELLING = it had started. */
      const cancelAnswer = new Map<string, string>();
      const cancelResponses = new Map<string, string>();
      const cancel = async (vm: string, via: number, mayHaveEnded = false) => {
        const r = await gql<{
          cancelMigration: { migration: { state: string } | null; errors: unknown[] | null };
        }>(url(via), CANCEL_GQL, { id: requested.get(vm) });
        cancelResponses.set(vm, JSON.stringify(r));
        const m = r.data?.cancelMigration;
        if (mayHaveEnded && !m?.migration && ENDED.includes((await migration(requested.get(vm)!)).state))
          return;
        // Every cancel is answered with the migration (CANCELLED, or CANCELLING when it had started): none of
        // these moves had ended yet, so there is nothing to conflict with.
        expect(
          /^CANCELL(ED|ING)$/.test(m?.migration?.state ?? ""),
          `cancel ${vm}: ${JSON.stringify(r)}`,
        ).toBe(true);
        cancelAnswer.set(vm, m!.migration!.state);
      };
      // vm-4, vm-5 and vm-8 are cancelled right after their request, through the other replica (most
      // likely still queued behind the two slots: CANCELLED at once, never started).
      for (const [i, vm] of VMS.slice(2).entries()) {
        requested.set(vm, await move(vm, i));
        if (["vm-4", "vm-5", "vm-8"].includes(vm)) await cancel(vm, i + 1, true);
      }
      await cancel("vm-2", 0, true); // probably started already: CANCELLING, then CANCELLED or SUCCEEDED
      // A move the scheduler starts during the outage (its START_MOVE hint is lost): cancel it too. This is
      // the observed failure: it stayed CANCELLING, and ran later anyway.
      const startedInOutage = await eventually(
        async () => {
          for (const vm of ["vm-3", "vm-6", "vm-7"]) {
            if ((await migration(requested.get(vm)!)).state !== "QUEUED") return vm;
          }
          return Date.now() > outageEnds - 2_000 ? "none" : null;
        },
        OUTAGE_MS + 10_000,
        "a move started during the outage",
      );
      if (startedInOutage !== "none") await cancel(startedInOutage, 1, true);
      const left = outageEnds - Date.now();
      if (left > 0) await new Promise((r) => setTimeout(r, left)); // the outage lasts 20 s (not a wait for a condition)
      await startRedis();

      const ended = await eventually(
        async () => {
          const all = await Promise.all([...requested.values()].map((id, i) => migration(id, i)));
          return all.every((m) => ENDED.includes(m.state)) ? all : null;
        },
        600_000,
        "every move ended (SUCCEEDED, FAILED or CANCELLED)",
      ).catch(async (error) => {
        const all = await Promise.all([...requested.values()].map((id) => migration(id)));
        throw new Error(
          `${(error as Error).message}\n${all.map((m) => `${m.vmName}: ${m.state} ${JSON.stringify(m.timeline.map((t) => t.state))}`).join("\n")}\njobs: ${JSON.stringify(worldJobs())}`,
        );
      });

      // Let late answers (a redelivered command, a job outcome) arrive, then read everything once more:
      // the ends must not change.
      const jobs = await eventually(
        async () => {
          const j = worldJobs();
          return j.every((x) => x.state !== "RUNNING") ? j : null;
        },
        300_000,
        "no Hyper-V job still running",
      );
      const final = await Promise.all([...requested.values()].map((id) => migration(id, 1)));
      const report = final
        .map(
          (m) =>
            `${m.vmName}: ${m.state} ${m.failure?.code ?? ""} ${JSON.stringify(m.timeline.map((t) => t.state))} jobs=${JSON.stringify(jobs.filter((j) => j.vmName === m.vmName).map((j) => j.state))} host=${vmHost(m.vmName)}`,
        )
        .join("\n")
        .concat(`\ncancels: ${JSON.stringify(Object.fromEntries(cancelResponses))}`);
      for (const m of final) {
        const before = ended.find((e) => e.id === m.id)!;
        expect(m.state, `${m.vmName} changed its end\n${report}`).toBe(before.state);
        const vmJobs = jobs.filter((j) => j.vmName === m.vmName);
        // Exactly once in Hyper-V: at most one job per move, and the record agrees with it.
        expect(vmJobs.length, `${m.vmName}: Hyper-V jobs\n${report}`).toBeLessThanOrEqual(1);
        // Exactly once in Ferry: one terminal entry in the timeline.
        expect(
          m.timeline.filter((t) => ENDED.includes(t.state)).length,
          `${m.vmName}: ends in the timeline\n${report}`,
        ).toBe(1);
        if (m.state === "SUCCEEDED") {
          expect(
            vmJobs.map((j) => j.state),
            `${m.vmName}\n${report}`,
          ).toEqual(["COMPLETED"]);
          expect(vmHost(m.vmName), `${m.vmName}\n${report}`).toBe("HV2");
        } else {
          expect(
            vmJobs.filter((j) => j.state === "COMPLETED"),
            `${m.vmName} moved\n${report}`,
          ).toEqual([]);
          expect(vmHost(m.vmName), `${m.vmName}\n${report}`).toBe("HV1");
        }
        const answer = cancelAnswer.get(m.vmName);
        if (answer === "CANCELLED") {
          // Cancelled before any agent took it: it must never have started in Hyper-V.
          expect(m.state, `${m.vmName}\n${report}`).toBe("CANCELLED");
          expect(vmJobs, `${m.vmName} started in Hyper-V after its cancel\n${report}`).toEqual([]);
        }
        if (m.state === "CANCELLED") {
          expect(
            vmJobs.every((j) => j.state === "CANCELLED"),
            `${m.vmName}\n${report}`,
          ).toBe(true);
        }
      }
      // The drill exercised a cancel of a move that had not started (queued behind the two slots).
      expect([...cancelAnswer.values()], report).toContain("CANCELLED");
      // The uncancelled moves all had a chance to run: at least one ran to completion through the outage.
      expect(final.filter((m) => m.state === "SUCCEEDED").length, report).toBeGreaterThan(0);
    });
  },
);
