// Issue 4 faults, with the API and agents as real processes sharing a file-backed simulated world:
// an agent killed mid-migration, the API restarted mid-migration, an agent that never returns.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  enrollmentToken,
  freePort,
  type Proc,
  startApiProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "./world.ts";

let dir: string;
let database: TestDatabaseEnv;
let port: number;
let url: string;
let api: Proc;
const agents: Record<string, Proc> = {};
// The setting's minimum: the last test waits this long (plus up to one 5 s sweep) for AGENT_LOST.
const LOST_AFTER_SECONDS = 5;

async function startApi() {
  // The same port across restarts: the agents reconnect to it.
  ({ proc: api } = await startApiProcess(
    { FERRY_AGENT_LOST_AFTER_SECONDS: String(LOST_AFTER_SECONDS), ...database.env },
    port,
  ));
  // A process start (tsx, PGlite) takes over a minute on a loaded 2-core CI machine: wait for readiness, not a budget.
  return waitForReady(url, api, 240_000);
}

function startAgent(host: string, token?: string) {
  agents[host] = startSimulatedAgent(url, dir, host, token);
}

const connected = async (host: string) =>
  (
    await gqlOk<{ host: { agent: { connected: boolean } } }>(
      url,
      "query($h: String!) { host(name: $h) { agent { connected } } }",
      { h: host },
    )
  ).host.agent.connected;

const migration = async (id: string) =>
  (
    await gqlOk<{
      node: {
        state: string;
        percentComplete: number;
        failure: { code: string } | null;
        vm: { host: { name: string } };
        timeline: { state: string; message: string | null }[];
      };
    }>(url, MIGRATION_GQL, { id })
  ).node;

/** Jobs Hyper-V (the simulated world) ran for this VM: a duplicate move would show up here. */
const jobsFor = async (vmName: string) => {
  const world = SimWorld.openFile(path.join(dir, "world.json"));
  const vmId = world
    .definition()
    .hosts.flatMap((h) => h.vms)
    .find((v) => v.name === vmName)!.vmId;
  return (await world.backend("HV1").listJobs()).filter((j) => j.vmId === vmId);
};

async function startMove(vmName: string): Promise<string> {
  const ids = await fleetIds((q) => gqlOk(url, q));
  const r = await gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(url, MOVE_GQL, {
    input: { vm: ids.vms[vmName], destinationHost: ids.hosts.HV2 },
  });
  expect(r.moveVm.errors).toBeNull();
  const id = r.moveVm.migration!.id;
  await eventually(async () => (await migration(id)).percentComplete >= 10, 30_000, `${vmName} reaches 10 %`);
  return id;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-faults-"));
  // Each move runs ~4.6 s (2 GiB over 1 GbE at time x4): the fault comes right after it reaches 10 %,
  // seconds before its end, and the move ends while the agent or the API is still away or just back.
  const world = pairWorld(0, 4, 4);
  world.hosts[0]!.vms = ["vm-a", "vm-b", "vm-c"].map((name, i) =>
    testVm(name, `dddddddd-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, {
      memoryAssignedBytes: 2n * GiB,
      memoryStartupBytes: 2n * GiB,
    }),
  );
  SimWorld.openFile(path.join(dir, "world.json"), world);
  database = await freshDatabase();
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await startApi();
  for (const host of ["HV1", "HV2"]) startAgent(host, await enrollmentToken(url, host, ADMIN_TOKEN));
  await eventually(
    async () => (await connected("HV1")) && (await connected("HV2")),
    30_000,
    "both agents connected",
  );
  await eventually(
    async () => (await fleetIds((q) => gqlOk(url, q))).vms["vm-c"],
    30_000,
    "inventory reported",
  );
}, 400_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(agents).map((a) => a.stop()));
  await api?.stop().catch(() => {});
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("faults during a migration", () => {
  it("an agent killed mid-migration and restarted reports the real outcome; the move ran once", {
    timeout: 400_000,
  }, async () => {
    const id = await startMove("vm-a");
    await agents.HV1!.stop("SIGKILL");
    await eventually(async () => !(await connected("HV1")), 15_000, "HV1 shown disconnected");
    expect((await migration(id)).state).toBe("RUNNING");
    startAgent("HV1");
    const done = await eventually(
      async () => {
        const m = await migration(id);
        return m.state === "SUCCEEDED" ? m : null;
      },
      60_000,
      `vm-a succeeds after the agent returns\n${agents.HV1!.output()}`,
    );
    expect(done.vm.host.name).toBe("HV2");
    expect(await jobsFor("vm-a")).toHaveLength(1);
  });

  it("restarting the API mid-migration loses nothing and starts nothing twice", {
    timeout: 400_000,
  }, async () => {
    const id = await startMove("vm-b");
    await api.stop();
    await startApi();
    const done = await eventually(
      async () => {
        const m = await migration(id);
        return m.state === "SUCCEEDED" ? m : null;
      },
      60_000,
      "vm-b succeeds across the API restart",
    );
    expect(done.vm.host.name).toBe("HV2");
    expect(await jobsFor("vm-b")).toHaveLength(1);
  });

  it("an agent that stays away longer than FERRY_AGENT_LOST_AFTER_SECONDS fails its migration with AGENT_LOST; its late real outcome corrects it", {
    timeout: 400_000,
  }, async () => {
    // After the API restart above both agents must be back before preflight (it checks both).
    await eventually(
      async () => (await connected("HV1")) && (await connected("HV2")),
      120_000,
      "both agents reconnected",
    );
    const id = await startMove("vm-c");
    await agents.HV1!.stop("SIGKILL");
    const failed = await eventually(
      async () => {
        const m = await migration(id);
        return m.state === "FAILED" ? m : null;
      },
      40_000,
      "vm-c fails with AGENT_LOST",
    );
    expect(failed.failure!.code).toBe("AGENT_LOST");
    // Hyper-V kept moving the VM meanwhile: the agent's late report of the job's real end corrects
    // the record and the timeline says so (issue 12: nothing Ferry reports contradicts Hyper-V).
    startAgent("HV1");
    const corrected = await eventually(
      async () => {
        const m = await migration(id);
        return m.state === "SUCCEEDED" ? m : null;
      },
      60_000,
      `vm-c corrected to SUCCEEDED after the agent returns\n${agents.HV1!.output()}`,
    );
    expect(corrected.failure).toBeNull();
    expect(corrected.vm.host.name).toBe("HV2");
    expect(corrected.timeline.at(-1)?.message).toMatch(/corrected.*AGENT_LOST/);
    expect(await jobsFor("vm-c")).toHaveLength(1);
  });
});
