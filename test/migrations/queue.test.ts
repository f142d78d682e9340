// Issue 4: six live migrations at once between two hosts with limit 2.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { MIGRATION_GQL, MOVE_GQL, pairWorld } from "./world.ts";

let api: TestApi;
let fleet: TestFleet;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { definition: pairWorld(6, 2) });
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

type Ids = {
  hosts: {
    edges: { node: { id: string; name: string; vms: { edges: { node: { id: string; name: string } }[] } } }[];
  };
};

interface MigrationView {
  id: string;
  state: string;
  vmName: string;
  startedAt: string;
  finishedAt: string;
  vm: { host: { name: string } };
  timeline: { at: string; percentComplete: number; state: string }[];
}

describe("queue within host limits", () => {
  it("runs six moves at most two at a time per host, in FIFO order, and all VMs end on the destination", async () => {
    const ids = await api.gqlOk<Ids>(
      "{ hosts { edges { node { id name vms(first: 50) { edges { node { id name } } } } } } }",
    );
    const hv1 = ids.hosts.edges.find((e) => e.node.name === "HV1")!.node;
    const hv2 = ids.hosts.edges.find((e) => e.node.name === "HV2")!.node;
    const vms = hv1.vms.edges.map((e) => e.node).sort((a, b) => a.name.localeCompare(b.name));
    expect(vms).toHaveLength(6);

    const requested: string[] = [];
    for (const vm of vms) {
      const r = await api.gqlOk<{
        moveVm: {
          migration: { id: string; state: string; queuePosition: number | null } | null;
          errors: unknown;
        };
      }>(MOVE_GQL, { input: { vm: vm.id, destinationHost: hv2.id } });
      expect(r.moveVm.errors).toBeNull();
      requested.push(r.moveVm.migration!.id);
    }

    const finished = await eventually(
      async () => {
        const all = await Promise.all(
          requested.map((id) => api.gqlOk<{ node: MigrationView }>(MIGRATION_GQL, { id })),
        );
        return all.every((m) => m.node.state === "SUCCEEDED") ? all.map((m) => m.node) : null;
      },
      90_000,
      "all six migrations succeed",
    );

    // At no moment more than two running per host, checked from the recorded start/finish instants.
    const edges = finished.flatMap((m) => [
      { t: Date.parse(m.startedAt), d: +1 },
      { t: Date.parse(m.finishedAt), d: -1 },
    ]);
    edges.sort((a, b) => a.t - b.t || a.d - b.d);
    let running = 0;
    let peak = 0;
    for (const e of edges) {
      running += e.d;
      peak = Math.max(peak, running);
    }
    // The limit is never exceeded. (Whether two actually overlap depends on how fast the six requests
    // arrive compared with a move's duration: on a loaded machine one may finish before the next is queued.)
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBeGreaterThanOrEqual(1);
    // FIFO: started in the order requested.
    const byStart = [...finished].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    expect(byStart.map((m) => m.id)).toEqual(requested);
    // Timelines are monotonic and end at 100 %.
    for (const m of finished) {
      const percents = m.timeline.map((s) => s.percentComplete);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
      expect(m.timeline.at(-1)).toMatchObject({ state: "SUCCEEDED", percentComplete: 100 });
    }
    // The VMs are on HV2 now, in the API's inventory and in the (simulated) Hyper-V world.
    expect(finished.every((m) => m.vm.host.name === "HV2")).toBe(true);
    const worldNow = fleet.world.definition();
    expect(
      worldNow.hosts
        .find((h) => h.facts.name === "HV2")!
        .vms.map((v) => v.name)
        .sort(),
    ).toEqual(vms.map((v) => v.name));
  });
});
