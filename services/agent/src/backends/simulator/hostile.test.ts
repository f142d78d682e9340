import { describe, expect, it } from "vitest";
import { ManualClock, testHost, testVm } from "../../../../../test/helpers/sim-world.ts";
import type { WorldDefinition } from "../world.ts";
import { SimWorld } from "./index.ts";

const EVIL_VM = "vm'\"; Remove-VM * -Force; $(Stop-Computer) `whoami` \n next line $" + "{x}";
const EVIL_HOST = "HV'$(calc)`\n";
const EVIL_SWITCH = "Prod'uction $(x)";

function evilWorld(): WorldDefinition {
  const a = testHost("HV1", 11);
  const b = testHost(EVIL_HOST, 12);
  a.switches = [{ name: EVIL_SWITCH, switchType: "External" }];
  a.vms = [testVm(EVIL_VM, "66666666-6666-4666-8666-666666666666", { switchNames: [EVIL_SWITCH] })];
  return {
    seed: 1,
    timeScale: 1,
    hosts: [a, b],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 10n ** 13n }],
    delegations: {},
  };
}

describe("hostile names are just data", () => {
  it("moves a VM with a hostile name to a host with a hostile name and reports them verbatim", async () => {
    const clock = new ManualClock();
    const world = SimWorld.create(evilWorld(), { clock });
    const src = world.backend("HV1");
    const dst = world.backend(EVIL_HOST);
    const job = await src.startMoveVm({
      vmId: "66666666-6666-4666-8666-666666666666",
      destinationHost: EVIL_HOST,
      includeStorage: false,
      destinationStoragePath: null,
    });
    clock.advance(600_000);
    const s = await src.getJob(job.jobId);
    expect(s.state).toBe("FAILED");
    expect(s.error!.message).toBe(`Could not find Ethernet switch '${EVIL_SWITCH}'.`);
    const events = await dst.readEvents(null, 10);
    expect(events[0]!.vmName).toBe(EVIL_VM);
    expect(events[0]!.message).toContain(EVIL_VM);
  });

  it("treats hostile strings in parameters as names that do not exist", async () => {
    const world = SimWorld.create(evilWorld());
    const src = world.backend("HV1");
    const bad = await src
      .startMoveVm({
        vmId: "$(x)",
        destinationHost: "HV1",
        includeStorage: false,
        destinationStoragePath: null,
      })
      .catch((e: { code: string }) => e.code);
    expect(bad).toBe("VM_NOT_FOUND");
    const noHost = await src
      .startMoveVm({
        vmId: "66666666-6666-4666-8666-666666666666",
        destinationHost: "`; rm -rf /",
        includeStorage: false,
        destinationStoragePath: null,
      })
      .catch((e: { code: string }) => e.code);
    expect(noHost).toBe("INVALID_PARAMETER");
    expect(await src.getJob("'; DROP TABLE jobs; --").catch((e: { code: string }) => e.code)).toBe(
      "JOB_NOT_FOUND",
    );
    expect(await src.removeMigrationNetwork("$(calc)").catch((e: { code: string }) => e.code)).toBe(
      "NETWORK_NOT_FOUND",
    );
  });
});
