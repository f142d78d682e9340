// A refused inventory is not remembered as reported (it used to be: the agent then never sent it again).
import { describe, expect, it } from "vitest";
import { testHost } from "../../../../test/helpers/sim-world.ts";
import { SimWorld } from "../backends/simulator/index.ts";
import { RefusedError } from "../link/link.ts";
import { createInventoryReporter } from "./reporter.ts";

describe("inventory reporter", () => {
  it("sends a refused report again; an accepted one only when it changed", async () => {
    const world = SimWorld.create({
      seed: 1,
      timeScale: 60,
      hosts: [testHost("HV-A01", 11)],
      sharedVolumes: [],
      delegations: {},
    });
    const backend = world.backend("HV-A01");
    const sent: unknown[] = [];
    let refuse = true;
    let partial = 0;
    const reporter = createInventoryReporter({
      getInventory: () => backend.getInventory(),
      log: () => {},
      send: async (wire) => {
        sent.push(wire);
        if (refuse)
          throw new RefusedError("agentReportInventory", [{ __typename: "ValidationError", message: "no" }]);
        return partial === 0 || partial-- === 0;
      },
    });
    await reporter.report();
    expect(sent).toHaveLength(1);
    refuse = false;
    await reporter.report(); // unchanged inventory, but the last one was refused: sent again
    expect(sent).toHaveLength(2);
    await reporter.report(); // accepted and unchanged: nothing to send
    expect(sent).toHaveLength(2);
    await reporter.report(true);
    expect(sent).toHaveLength(3);
    // Applied only in part (conflicting VMs): sent again although unchanged.
    partial = 1;
    await reporter.report(true);
    await reporter.report();
    expect(sent).toHaveLength(5);
    await reporter.report();
    expect(sent).toHaveLength(5);
  });

  it("a periodic read waits while migration jobs are polled; a forced one (connect, change, job end) does not", async () => {
    const world = SimWorld.create({
      seed: 1,
      timeScale: 60,
      hosts: [testHost("HV-A01", 11)],
      sharedVolumes: [],
      delegations: {},
    });
    const backend = world.backend("HV-A01");
    let reads = 0;
    let busy = true;
    const reporter = createInventoryReporter({
      getInventory: () => {
        reads++;
        return backend.getInventory();
      },
      log: () => {},
      send: async () => false,
      busy: () => busy,
    });
    await reporter.report();
    await reporter.report();
    expect(reads).toBe(0);
    await reporter.report(true);
    expect(reads).toBe(1);
    busy = false;
    await reporter.report();
    expect(reads).toBe(2);
  });
});
