// Issue 10 "done when", on the demo fleet of 10 hosts (generateFleet, as FERRY_DEMO_HOSTS=10 runs it):
// every pair whose delegationPlan is complete passes preflight's authentication check; no cross-vendor
// pair passes preflight, with or without processor compatibility; a move to the host without a
// usable migration network (HV-A07) fails preflight.

import { generateFleet } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { PREFLIGHT_GQL } from "../migrations/world.ts";

let api: TestApi;
let fleet: TestFleet;
const hosts: Record<string, { id: string; cpuVendor: string; vms: Record<string, string> }> = {};

/** Each host's first VM runs without processor compatibility, its second runs with it. */
function demoFleet() {
  const def = generateFleet({ hosts: 10, seed: 1, vmsPerHost: 3, timeScale: 200 });
  for (const h of def.hosts) {
    h.vms.slice(0, 2).forEach((vm, i) => {
      vm.state = "RUNNING";
      vm.memoryAssignedBytes = vm.memoryStartupBytes;
      vm.processorCompatibilityForMigration = i === 1;
    });
  }
  return def;
}

beforeAll(async () => {
  api = await startTestApi();
  const def = demoFleet();
  fleet = await startTestFleet(api, { definition: def });
  const data = await api.gqlOk<{
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
  }>(
    "{ hosts(first: 20) { edges { node { id name cpuVendor vms(first: 10) { edges { node { id name } } } } } } }",
  );
  for (const { node } of data.hosts.edges) {
    hosts[node.name] = {
      id: node.id,
      cpuVendor: node.cpuVendor,
      vms: Object.fromEntries(node.vms.edges.map((e) => [e.node.name, e.node.id])),
    };
  }
  // Keep each host's two running VMs (compatibility off, on) by name.
  for (const h of def.hosts) {
    const entry = hosts[h.facts.name]!;
    entry.vms = { off: entry.vms[h.vms[0]!.name]!, on: entry.vms[h.vms[1]!.name]! };
  }
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

/** Runs `jobs` with at most `width` at a time (each preflight waits for the source's Compare-VM). */
async function pool<T>(jobs: (() => Promise<T>)[], width = 6): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < jobs.length; i += width)
    out.push(...(await Promise.all(jobs.slice(i, i + width).map((j) => j()))));
  return out;
}

type Check = { name: string; status: string; message: string; code: string | null };
async function preflight(vm: string, dest: string) {
  const r = await api.gqlOk<{ migrationPreflight: { ok: boolean; checks: Check[] } }>(
    PREFLIGHT_GQL.replace("remedy }", "remedy code }"),
    { input: { vm, destinationHost: dest } },
  );
  return r.migrationPreflight;
}

describe("the demo fleet of 10 hosts", () => {
  it("passes preflight's authentication check for every pair whose delegationPlan is complete", {
    timeout: 180_000,
  }, async () => {
    const plan = await api.gqlOk<{
      delegationPlan: {
        pairs: { source: { name: string }; destination: { name: string }; complete: boolean }[];
      };
    }>(
      "query($h: [ID!]!) { delegationPlan(hosts: $h) { pairs { source { name } destination { name } complete } } }",
      {
        h: Object.values(hosts).map((h) => h.id),
      },
    );
    const complete = plan.delegationPlan.pairs.filter((p) => p.complete);
    // HV-A05 and HV-A09 are Kerberos hosts with full delegation to the 9 others.
    expect(new Set(complete.map((p) => p.source.name))).toEqual(new Set(["HV-A05", "HV-A09"]));
    expect(complete).toHaveLength(18);
    await pool(
      complete.map((pair) => async () => {
        const report = await preflight(hosts[pair.source.name]!.vms.off!, hosts[pair.destination.name]!.id);
        const auth = report.checks.find((c) => c.name === "authentication")!;
        expect(auth.status, `${pair.source.name} -> ${pair.destination.name}: ${auth.message}`).toBe("PASS");
      }),
    );
  });

  it("passes no cross-vendor pair, with or without processor compatibility", {
    timeout: 180_000,
  }, async () => {
    const names = Object.keys(hosts);
    const jobs: (() => Promise<void>)[] = [];
    let pairs = 0;
    for (const from of names) {
      for (const to of names) {
        if (hosts[from]!.cpuVendor === hosts[to]!.cpuVendor) continue;
        pairs++;
        for (const vm of [hosts[from]!.vms.off!, hosts[from]!.vms.on!]) {
          jobs.push(async () => {
            const report = await preflight(vm, hosts[to]!.id);
            expect(report.ok, `${from} -> ${to}`).toBe(false);
            expect(report.checks.find((c) => c.name === "processor")).toMatchObject({
              status: "FAIL",
              code: "PROCESSOR_INCOMPATIBLE",
            });
          });
        }
      }
    }
    await pool(jobs);
    expect(pairs).toBe(48); // 6 Intel x 4 AMD, both directions
  });

  it("fails a move to the host without a usable migration network, and moveVm refuses it", async () => {
    // HV-A08 is AMD like HV-A07, so only the network stands in the way of the processor.
    const vm = hosts["HV-A08"]!.vms.off!;
    const report = await preflight(vm, hosts["HV-A07"]!.id);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === "migration network HV-A07")).toMatchObject({
      status: "FAIL",
      code: "NETWORK_UNREACHABLE",
    });
    const moved = await api.gqlOk<{
      moveVm: { migration: unknown; errors: { __typename: string }[] | null };
    }>("mutation($i: MoveVmInput!) { moveVm(input: $i) { migration { id } errors { __typename } } }", {
      i: { vm, destinationHost: hosts["HV-A07"]!.id },
    });
    expect(moved.moveVm.migration).toBeNull();
    expect(moved.moveVm.errors?.[0]?.__typename).toBe("PreflightFailedError");
  });
});
