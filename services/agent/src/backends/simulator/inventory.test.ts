import { describe, expect, it } from "vitest";
import { GiB, ManualClock, testWorld, VM_IDS } from "../../../../../test/helpers/sim-world.ts";
import { HyperVError } from "../types.ts";
import { createSimulatorBackend, HOST_RESERVE_BYTES, SimWorld } from "./index.ts";

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HyperVError);
    return (e as HyperVError).code;
  }
  throw new Error("expected a HyperVError");
}

describe("inventory and settings", () => {
  it("reports the definition's hosts, settings and VMs", async () => {
    const world = SimWorld.create(testWorld(), { clock: new ManualClock() });
    expect(world.hostNames()).toEqual(["HV1", "HV2", "HV3"]);
    const inv = await world.backend("HV1").getInventory();
    expect(inv.host.name).toBe("HV1");
    expect(inv.host.fqdn).toBe("HV1.corp.local");
    expect(inv.host.delegations).toEqual([]);
    expect(inv.settings).toMatchObject({
      enabled: true,
      authenticationType: "CREDSSP",
      maximumVirtualMachineMigrations: 2,
    });
    expect(inv.vms.map((v) => v.name)).toEqual(["vm-shared", "vm-local", "vm-off", "vm-small"]);
    expect(inv.firewallRules.map((r) => r.name)).toContain("VIRT-MIGL-In-TCP-NoScope");
    expect(createSimulatorBackend(world, "HV2").kind).toBe("simulator");
  });

  it("computes memoryAvailable from running VMs and a host reserve", async () => {
    const world = SimWorld.create(testWorld(), { clock: new ManualClock() });
    const inv = await world.backend("HV1").getInventory();
    // running: 8 + 2 + 1 GiB; vm-off holds none
    expect(inv.host.memoryAvailableBytes).toBe(64n * GiB - HOST_RESERVE_BYTES - 11n * GiB);
    const empty = await world.backend("HV2").getInventory();
    expect(empty.host.memoryAvailableBytes).toBe(64n * GiB - HOST_RESERVE_BYTES);
  });

  it("uptime of running VMs advances with the clock (scaled)", async () => {
    const clock = new ManualClock();
    const def = testWorld();
    def.timeScale = 10;
    const world = SimWorld.create(def, { clock });
    clock.advance(1000);
    const vms = (await world.backend("HV1").getInventory()).vms;
    expect(vms.find((v) => v.vmId === VM_IDS.shared)!.uptimeSeconds).toBe(3610);
    expect(vms.find((v) => v.vmId === VM_IDS.off)!.uptimeSeconds).toBe(0);
  });

  it("throws for a host that is not in the world", () => {
    const world = SimWorld.create(testWorld());
    expect(() => world.backend("nope")).toThrow();
  });

  it("does not share objects with the caller's definition or inventory", async () => {
    const def = testWorld();
    const world = SimWorld.create(def);
    def.hosts[0]!.settings.enabled = false;
    const inv = await world.backend("HV1").getInventory();
    expect(inv.settings.enabled).toBe(true);
    inv.settings.enabled = false;
    expect((await world.backend("HV1").getInventory()).settings.enabled).toBe(true);
  });

  it("applies settings changes immediately and validates them all first", async () => {
    const world = SimWorld.create(testWorld());
    const b = world.backend("HV1");
    await b.disableMigration();
    await b.setHostSettings({
      authenticationType: "KERBEROS",
      performanceOption: "SMB",
      maximumStorageMigrations: 4,
    });
    let s = (await b.getInventory()).settings;
    expect(s).toMatchObject({
      enabled: false,
      authenticationType: "KERBEROS",
      performanceOption: "SMB",
      maximumStorageMigrations: 4,
    });
    expect(
      await code(b.setHostSettings({ maximumVirtualMachineMigrations: 0, performanceOption: "TCPIP" })),
    ).toBe("INVALID_PARAMETER");
    expect(await code(b.setHostSettings({ performanceOption: "SMBTransport" as never }))).toBe(
      "INVALID_PARAMETER",
    );
    s = (await b.getInventory()).settings;
    expect(s.performanceOption).toBe("SMB");
    await b.enableMigration();
    expect((await b.getInventory()).settings.enabled).toBe(true);
  });

  it("manages migration networks with NETWORK_EXISTS / NETWORK_NOT_FOUND", async () => {
    const b = SimWorld.create(testWorld()).backend("HV1");
    expect(await code(b.addMigrationNetwork({ subnet: "10.0.1.0/24", priority: 3 }))).toBe("NETWORK_EXISTS");
    await b.addMigrationNetwork({ subnet: "fd00:1::/64", priority: null });
    await b.setMigrationNetworkPriority({ subnet: "FD00:1::/64", priority: 5 });
    expect((await b.getInventory()).settings.networks).toEqual([
      { subnet: "10.0.1.0/24", priority: 1 },
      { subnet: "fd00:1::/64", priority: 5 },
    ]);
    expect(await code(b.setMigrationNetworkPriority({ subnet: "10.9.9.0/24", priority: 1 }))).toBe(
      "NETWORK_NOT_FOUND",
    );
    await b.removeMigrationNetwork("10.0.1.0/24");
    expect(await code(b.removeMigrationNetwork("10.0.1.0/24"))).toBe("NETWORK_NOT_FOUND");
    expect(await code(b.addMigrationNetwork({ subnet: "10.0.1.0/33", priority: 1 }))).toBe(
      "INVALID_PARAMETER",
    );
    expect(await code(b.addMigrationNetwork({ subnet: "$(calc)", priority: 1 }))).toBe("INVALID_PARAMETER");
    expect(await code(b.addMigrationNetwork({ subnet: "10.0.2.0/24", priority: -1 }))).toBe(
      "INVALID_PARAMETER",
    );
  });

  it("refuses processor compatibility changes unless the VM is off", async () => {
    const b = SimWorld.create(testWorld()).backend("HV1");
    const err = await b.setProcessorCompatibility(VM_IDS.shared, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HyperVError);
    expect((err as HyperVError).code).toBe("INVALID_VM_STATE");
    await b.setProcessorCompatibility(VM_IDS.off, true);
    const vm = (await b.getInventory()).vms.find((v) => v.vmId === VM_IDS.off)!;
    expect(vm.processorCompatibilityForMigration).toBe(true);
    expect(await code(b.setProcessorCompatibility("00000000-0000-4000-8000-000000000000", true))).toBe(
      "VM_NOT_FOUND",
    );
  });

  it("compareVm lists switch, processor, memory and version incompatibilities", async () => {
    const def = testWorld();
    def.hosts[2]!.switches = [];
    def.hosts[2]!.facts.memoryCapacityBytes = 8n * GiB;
    def.hosts[2]!.facts.supportedVmVersions = ["5.0"];
    const b = SimWorld.create(def).backend("HV1");
    const issues = await b.compareVm(VM_IDS.shared, "HV3");
    expect(issues.map((i) => i.messageId)).toEqual([33012, 24004, 3050, 24016]);
    expect(issues[0]!.message).toBe("Could not find Ethernet switch 'Production'.");
    expect(issues[1]!.message).toBe(
      'Virtual machine "vm-shared" is using processor-specific features not supported on host "HV3".',
    );
    expect(await b.compareVm(VM_IDS.shared, "hv2.corp.local")).toEqual([]);
    expect(await code(b.compareVm(VM_IDS.shared, "nowhere"))).toBe("INVALID_PARAMETER");
    expect(await code(b.compareVm("nope", "HV2"))).toBe("VM_NOT_FOUND");
  });

  it("rejects calls after close", async () => {
    const b = SimWorld.create(testWorld()).backend("HV1");
    await b.close();
    expect(await code(b.getInventory())).toBe("BACKEND_UNAVAILABLE");
  });
});
