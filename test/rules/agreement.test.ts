// Issue 10 "one rule set": the same host/VM situations fed to preflight (migrationPreflight), Host.readiness
// and the simulator's Move-VM; all three must reach the same verdict with the same failure code.
// Before @ferry/hyperv: the Kerberos row FAILed preflight, the compatibility row passed preflight and
// moved in the simulator, the network row had no check at all, and CredSSP PASSed.

import { HyperVError } from "@ferry/agent/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { type FleetIds, fleetIds, PREFLIGHT_GQL } from "../migrations/world.ts";
import { SITUATIONS, situationWorld } from "./situations.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;
type Check = { name: string; status: string; message: string; remedy: string | null; code?: string | null };
let readiness: Record<string, Record<string, Check>>;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { definition: situationWorld() });
  ids = await fleetIds((q) => api.gqlOk(q));
  const data = await api.gqlOk<{ hosts: { edges: { node: { name: string; readiness: Check[] } }[] } }>(
    "{ hosts(first: 20) { edges { node { name readiness { name status message remedy } } } } }",
  );
  readiness = Object.fromEntries(
    data.hosts.edges.map((e) => [e.node.name, Object.fromEntries(e.node.readiness.map((c) => [c.name, c]))]),
  );
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

async function preflight(vm: string, dest: string) {
  const PREFLIGHT = PREFLIGHT_GQL.replace("remedy }", "remedy code }");
  const r = await api.gqlOk<{ migrationPreflight: { ok: boolean; checks: Check[] } }>(PREFLIGHT, {
    input: { vm: ids.vms[vm], destinationHost: ids.hosts[dest] },
  });
  return r.migrationPreflight;
}

/** What the simulator's Hyper-V does with the move: null when it runs to completion, else the failure code. */
async function simulate(source: string, vm: string, dest: string): Promise<string | null> {
  const backend = fleet.world.backend(source);
  const vmId = (await backend.getInventory()).vms.find((v) => v.name === vm)!.vmId;
  let job: Awaited<ReturnType<typeof backend.startMoveVm>>;
  try {
    job = await backend.startMoveVm({
      vmId,
      destinationHost: dest,
      includeStorage: false,
      destinationStoragePath: null,
    });
  } catch (e) {
    expect(e).toBeInstanceOf(HyperVError);
    return (e as HyperVError).code;
  }
  const end = await eventually(
    async () => {
      const s = await backend.getJob(job.jobId);
      return s.state === "RUNNING" ? null : s;
    },
    30_000,
    `the simulated move of ${vm} to end`,
  );
  return end.state === "COMPLETED" ? null : (end.error?.code ?? end.state);
}

describe("preflight, readiness and the simulator agree", () => {
  it.each(SITUATIONS)("$label", async (s) => {
    const report = await preflight(s.vm, s.dest);
    const check = report.checks.find((c) => c.name === s.check);
    expect(check, JSON.stringify(report.checks.map((c) => c.name))).toBeDefined();
    expect({ status: check!.status, code: check!.code }).toEqual({ status: s.status, code: s.code });
    // Each situation breaks one rule: the report fails exactly when that rule fails.
    expect(report.ok).toBe(s.status !== "FAIL");
    // (Compare-VM, Hyper-V's own report from the simulated source, may name the same incompatibility.)
    const failed = report.checks.filter((c) => c.status === "FAIL" && c.name !== "compare-vm");
    expect(failed.map((c) => c.name)).toEqual(s.status === "FAIL" ? [s.check] : []);

    if (s.readiness) {
      const r = readiness[s.readiness.host]![s.readiness.check]!;
      if (s.readiness.check === "cpuVendorPeers") {
        // Readiness reports vendors per host; the refusal is in its message.
        expect(r.message).toContain(s.readiness.mentions);
      } else {
        expect(r.status).toBe(s.status);
        if (s.readiness.mentions) expect(r.message).toContain(s.readiness.mentions);
      }
    }

    const outcome = await simulate(s.source, s.vm, s.dest);
    expect(outcome).toBe(s.status === "FAIL" ? s.code : null);
  });
});

describe("remedies that name an operation are usable as written", () => {
  it("runs the migration-enabled remedy of preflight and of readiness verbatim, and the check then passes", async () => {
    const check = (await preflight("off-dest", "D-OFF")).checks.find(
      (c) => c.name === "migration enabled D-OFF",
    )!;
    const fromReadiness = readiness["D-OFF"]!.migrationEnabled!.remedy!;
    // Issue 10: the remedy gave a raw database GUID, which the API refuses.
    expect(check.remedy).toContain(`enableMigration(hosts: ["${ids.hosts["D-OFF"]}"])`);
    expect(check.remedy).toContain("D-OFF");
    expect(fromReadiness).toContain(`enableMigration(hosts: ["${ids.hosts["D-OFF"]}"])`);
    const mutation = /mutation \{.*\} \} \}/.exec(check.remedy!)![0];
    const result = await api.gqlOk<{ enableMigration: { operations: { status: string }[] } }>(mutation);
    expect(result.enableMigration.operations).toHaveLength(1);
    await eventually(
      async () =>
        (await preflight("off-dest", "D-OFF")).checks.find((c) => c.name === "migration enabled D-OFF")!
          .status === "PASS" || null,
      30_000,
      "D-OFF to report migration enabled",
    );
  });
});
