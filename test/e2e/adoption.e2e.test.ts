// Issue 12 item 3, with the API and the agent as real processes sharing a file-backed simulated
// world: the agent dies after Hyper-V accepted Move-VM but before it wrote the job id down, and the
// job finishes while it is away. The restarted agent must recognize its move (the VM is no longer
// on the source; Hyper-V's job shows it) and report that outcome, not call Move-VM again (which used
// to end the migration FAILED VM_NOT_FOUND although the VM had moved).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  enrollmentToken,
  type Proc,
  startApiProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "../migrations/world.ts";

let dir: string;
let database: TestDatabaseEnv;
let url: string;
let api: Proc;
const agents: Record<string, Proc> = {};
const VM_ID = "eeeeeeee-0000-4000-8000-000000000001";

function startAgent(host: string, env: Record<string, string> = {}, token?: string) {
  agents[host] = startSimulatedAgent(url, dir, host, token, env);
}

const connected = async (host: string) =>
  (
    await gqlOk<{ host: { agent: { connected: boolean } } }>(
      url,
      "query($h: String!) { host(name: $h) { agent { connected } } }",
      { h: host },
    )
  ).host.agent.connected;

/** What Hyper-V (the simulated world) knows: the VM's host and every job it ran for it. */
function hyperV() {
  const world = SimWorld.openFile(path.join(dir, "world.json"));
  const host = world.definition().hosts.find((h) => h.vms.some((v) => v.vmId === VM_ID))?.facts.name;
  return { host, jobs: world.backend("HV1").listJobs() };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-adoption-"));
  const world = pairWorld(0, 2, 30);
  world.hosts[0]!.vms = [
    testVm("vm-adopt", VM_ID, { memoryAssignedBytes: 2n * GiB, memoryStartupBytes: 2n * GiB }),
  ];
  SimWorld.openFile(path.join(dir, "world.json"), world);
  database = await freshDatabase();
  ({ url, proc: api } = await startApiProcess({
    // Long enough that the agent's absence does not end the migration (AGENT_LOST is another test).
    FERRY_AGENT_LOST_AFTER_SECONDS: "600",
    ...database.env,
  }));
  await waitForReady(url, api);
  startAgent(
    "HV1",
    { FERRY_AGENT_FAILPOINTS: "move-started" },
    await enrollmentToken(url, "HV1", ADMIN_TOKEN),
  );
  startAgent("HV2", {}, await enrollmentToken(url, "HV2", ADMIN_TOKEN));
  await eventually(
    async () => (await connected("HV1")) && (await connected("HV2")),
    60_000,
    "agents connected",
  );
  await eventually(async () => (await fleetIds((q) => gqlOk(url, q))).vms["vm-adopt"], 60_000, "inventory");
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(agents).map((a) => a.stop()));
  await api?.stop().catch(() => {});
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("adoption after a crash between Move-VM and recording the job", () => {
  it("reports the move that finished while the agent was down, and never calls Move-VM again", {
    timeout: 240_000,
  }, async () => {
    const ids = await fleetIds((q) => gqlOk(url, q));
    const r = await gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(url, MOVE_GQL, {
      input: { vm: ids.vms["vm-adopt"], destinationHost: ids.hosts.HV2 },
    });
    expect(r.moveVm.errors).toBeNull();
    const id = r.moveVm.migration!.id;
    // The failpoint kills HV1's agent right after Hyper-V accepted the move.
    await eventually(
      async () => agents.HV1!.child.signalCode === "SIGKILL",
      60_000,
      "HV1 agent died at the failpoint",
    );
    // Hyper-V finishes the move while the agent is away.
    await eventually(
      async () => {
        const hv = hyperV();
        const jobs = await hv.jobs;
        return hv.host === "HV2" && jobs.length === 1 && jobs[0]!.state === "COMPLETED";
      },
      120_000,
      "the move finished in Hyper-V",
    );
    startAgent("HV1");
    const done = await eventually(
      async () => {
        const m = (
          await gqlOk<{
            node: { state: string; failure: { code: string } | null; vm: { host: { name: string } } };
          }>(url, MIGRATION_GQL, { id })
        ).node;
        return m.state === "SUCCEEDED" || m.state === "FAILED" ? m : null;
      },
      90_000,
      `the migration ends after the agent returns\n${agents.HV1!.output().slice(-3000)}`,
    );
    expect(done.failure).toBeNull();
    expect(done.state).toBe("SUCCEEDED");
    expect(done.vm.host.name).toBe("HV2");
    expect(await hyperV().jobs).toHaveLength(1);
  });
});
