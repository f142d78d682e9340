// Issue 4: every failure of docs/hyperv.md ends the migration FAILED with its code, Hyper-V's
// message, the event id, a diagnosis and a remedy (faults injected into the simulated Hyper-V).

import type { HyperVErrorCode } from "@ferry/agent/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { type FleetIds, fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "./world.ts";

const CASES: { code: HyperVErrorCode; eventId: number; remedy: RegExp }[] = [
  { code: "MIGRATION_DISABLED", eventId: 21502, remedy: /enableMigration/ },
  { code: "AUTHENTICATION_FAILED", eventId: 21502, remedy: /delegationPlan|CredSSP/ },
  { code: "PROCESSOR_INCOMPATIBLE", eventId: 21502, remedy: /setProcessorCompatibility/ },
  { code: "SWITCH_NOT_FOUND", eventId: 21125, remedy: /switch/ },
  { code: "INSUFFICIENT_MEMORY", eventId: 21502, remedy: /memory/ },
  { code: "NETWORK_REFUSED", eventId: 21502, remedy: /VIRT-MIGL-In-TCP-NoScope/ },
  { code: "PATH_NOT_FOUND", eventId: 20413, remedy: /includeStorage/ },
  { code: "MIGRATION_LIMIT_REACHED", eventId: 21501, remedy: /limit/ },
];

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;

beforeAll(async () => {
  api = await startTestApi();
  const world = pairWorld(0, 10, 60);
  world.hosts[0]!.vms = [...CASES.map((c) => `vm-${c.code.toLowerCase()}`), "vm-blackout"].map((name, i) =>
    testVm(name, `cccccccc-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, {
      memoryAssignedBytes: 1n * GiB,
    }),
  );
  fleet = await startTestFleet(api, { definition: world });
  ids = await fleetIds(api.gqlOk);
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

interface Failed {
  state: string;
  failure: {
    code: string;
    message: string;
    eventId: number | null;
    diagnosis: string;
    remedy: string;
  } | null;
  vm: { host: { name: string } };
}

describe("failure diagnosis", () => {
  it("gives every Hyper-V failure its code, message, event id, diagnosis and remedy", async () => {
    const started: Record<string, string> = {};
    for (const c of CASES) {
      const vmName = `vm-${c.code.toLowerCase()}`;
      fleet.world.injectFault(vmName, c.code);
      const r = await api.gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(MOVE_GQL, {
        input: { vm: ids.vms[vmName], destinationHost: ids.hosts.HV2 },
      });
      expect(r.moveVm.errors, vmName).toBeNull();
      started[c.code] = r.moveVm.migration!.id;
    }
    for (const c of CASES) {
      const m = await eventually(
        async () => {
          const node = (await api.gqlOk<{ node: Failed }>(MIGRATION_GQL, { id: started[c.code] })).node;
          return node.state === "FAILED" ? node : null;
        },
        30_000,
        `${c.code} fails`,
      );
      expect(m.failure!.code).toBe(c.code);
      expect(m.failure!.eventId).toBe(c.eventId);
      expect(m.failure!.message.length).toBeGreaterThan(10);
      expect(m.failure!.diagnosis.length).toBeGreaterThan(20);
      expect(m.failure!.remedy).toMatch(c.remedy);
      expect(m.vm.host.name).toBe("HV1");
    }
    // Hyper-V's events of each failure reach the API through the agent's event pump and are linked
    // to the migration (hostEvents shows them too).
    for (const c of CASES) {
      const events = await eventually(
        async () => {
          const node = (
            await api.gqlOk<{ node: { events: { eventId: number; message: string }[] } }>(
              "query($id: ID!) { node(id: $id) { ... on Migration { events { eventId message } } } }",
              { id: started[c.code] },
            )
          ).node;
          return node.events.some((e) => e.eventId === c.eventId) ? node.events : null;
        },
        30_000,
        `${c.code}: event ${c.eventId} linked to the migration`,
      );
      expect(events.every((e) => e.message.length > 0)).toBe(true);
    }
    const history = await api.gqlOk<{
      migrations: {
        totalCount: number;
        edges: { node: { vmName: string; durationSeconds: number | null } }[];
      };
    }>(
      "{ migrations(filter: { states: [FAILED] }) { totalCount edges { node { vmName durationSeconds } } } }",
    );
    expect(history.migrations.totalCount).toBe(CASES.length);
    // Newest first.
    expect(history.migrations.edges.map((e) => e.node.vmName)).toEqual(
      CASES.map((c) => `vm-${c.code.toLowerCase()}`).reverse(),
    );
  });

  // Here rather than beside the other warnings tests: the simulated blackout lasts 55-75 s of
  // Hyper-V time, which this file's time scale turns into about a second.
  it("a long blackout (event 20417) succeeds and shows on the migration as a warning", async () => {
    fleet.world.injectFault("vm-blackout", "LONG_BLACKOUT");
    const r = await api.gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(MOVE_GQL, {
      input: { vm: ids.vms["vm-blackout"], destinationHost: ids.hosts.HV2 },
    });
    expect(r.moveVm.errors).toBeNull();
    const warned = await eventually(
      async () => {
        const m = await api.gqlOk<{
          node: { state: string; warnings: { code: string; eventId: number; message: string }[] };
        }>(
          "query($id: ID!) { node(id: $id) { ... on Migration { state warnings { code eventId message } } } }",
          {
            id: r.moveVm.migration!.id,
          },
        );
        return m.node.state === "SUCCEEDED" && m.node.warnings.length > 0 ? m.node : null;
      },
      180_000,
      "vm-blackout succeeded with a warning",
    );
    expect(warned.warnings).toEqual([expect.objectContaining({ code: "LONG_BLACKOUT", eventId: 20417 })]);
  });
});
