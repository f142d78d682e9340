// The behaviour every HyperVBackend must share: one set of assertions, run against the simulator
// (simulator.contract.test.ts) and against the PowerShell backend with the stub Hyper-V module
// (powershell.contract.test.ts). Each test builds its own world from fixture.ts.
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaultCode, WorldDefinition } from "@ferry/agent/simulator";
import {
  type HostEvent,
  type HyperVBackend,
  HyperVError,
  type HyperVErrorCode,
  type Inventory,
  type JobStatus,
  type Vm,
} from "@ferry/agent/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contractWorld, GiB, hostileName, injectionPayloads, SHARE, VM_IDS } from "./fixture.ts";

/** One world of hosts, as a backend kind presents it. */
export interface ContractWorld {
  backend(hostName: string): HyperVBackend;
  /** The next move of this VM fails with `code` (SimWorld.injectFault semantics). */
  injectFault(vmName: string, code: FaultCode): Promise<void>;
  /** Drops a host's backend, as an agent restart does, and returns a fresh one. */
  restart(hostName: string): Promise<HyperVBackend>;
}

export interface ContractHarness {
  world(def: WorldDefinition): Promise<ContractWorld>;
  close(): Promise<void>;
}

const JOB_TIMEOUT_MS = 20_000;
/** The first calls on a host start its backend (a PowerShell process importing the stub): slow on a loaded machine. */
const FIRST_CALL_TIMEOUT_MS = 180_000;

async function codeOf(promise: Promise<unknown>): Promise<HyperVErrorCode | "NO_ERROR"> {
  try {
    await promise;
    return "NO_ERROR";
  } catch (error) {
    expectCleanError(error);
    return (error as HyperVError).code;
  }
}

async function errorOf(promise: Promise<unknown>): Promise<HyperVError> {
  try {
    await promise;
  } catch (error) {
    expectCleanError(error);
    return error as HyperVError;
  }
  throw new Error("expected a HyperVError, the call succeeded");
}

/** A typed HyperVError whose message carries no PowerShell error dump. */
function expectCleanError(error: unknown): void {
  expect(error).toBeInstanceOf(HyperVError);
  const message = (error as HyperVError).message;
  expect(message).not.toMatch(/At line:\d|CategoryInfo|FullyQualifiedErrorId|ParserError|\+ ~~~/);
  expect(message).not.toContain(String.fromCharCode(27));
}

/** Polls a job until it ends; checks that progress never goes backwards. */
async function waitForJob(backend: HyperVBackend, jobId: string): Promise<JobStatus> {
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  let last = -1;
  for (;;) {
    const job = await backend.getJob(jobId);
    expect(job.jobId).toBe(jobId);
    expect(job.percentComplete).toBeGreaterThanOrEqual(last);
    last = job.percentComplete;
    if (job.state !== "RUNNING") return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still running after ${JOB_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function vmNamed(inventory: Inventory, name: string): Vm | undefined {
  return inventory.vms.find((v) => v.name === name);
}

function live(vmId: string, destinationHost: string) {
  return { vmId, destinationHost, includeStorage: false, destinationStoragePath: null };
}

export function defineBackendContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`contract: ${name}`, () => {
    let harness: ContractHarness;
    beforeAll(async () => {
      harness = await setup();
    });
    afterAll(async () => {
      await harness?.close();
    });
    const world = (def: WorldDefinition = contractWorld()) => harness.world(def);

    describe("inventory", () => {
      it(
        "reports the host, its settings, switches, adapters, firewall rules and VMs as defined",
        async () => {
          const def = contractWorld();
          const w = await world(def);
          const inv = await w.backend("HV1").getInventory();
          const hv1 = def.hosts[0]!;
          expect(inv.host).toEqual({
            ...hv1.facts,
            // Capacity minus the 2 GiB host reserve and the running VMs' memory (2+32+2+2+2 GiB).
            memoryAvailableBytes: 64n * GiB - 2n * GiB - 40n * GiB,
            delegations: def.delegations.HV1,
          });
          expect(inv.settings).toEqual(hv1.settings);
          expect(inv.switches).toEqual(hv1.switches);
          expect(inv.networkAdapters).toEqual(hv1.networkAdapters);
          expect(inv.firewallRules).toEqual(hv1.firewallRules);
          expect(inv.volumes).toEqual(hv1.volumes.filter((v) => /^[A-Za-z]:\\/.test(v.root)));
          expect(inv.volumes.length).toBeGreaterThan(0);
          expect(inv.vms.map((v) => v.name)).toEqual(hv1.vms.map((v) => v.name));
          for (const expected of hv1.vms) {
            const actual = inv.vms.find((v) => v.vmId === expected.vmId)!;
            const { uptimeSeconds, ...rest } = actual;
            const { uptimeSeconds: definedUptime, ...expectedRest } = expected;
            expect(rest).toEqual(expectedRest);
            if (expected.state === "RUNNING") expect(uptimeSeconds).toBeGreaterThanOrEqual(definedUptime);
            else expect(uptimeSeconds).toBe(0);
          }
        },
        FIRST_CALL_TIMEOUT_MS,
      );

      it(
        "reports null delegations when the host's AD object cannot be read",
        async () => {
          const w = await world();
          const inv = await w.backend("HV2").getInventory();
          expect(inv.host.delegations).toBeNull();
          expect(inv.host.cpuVendor).toBe("INTEL");
          expect(inv.vms).toEqual([]);
          expect((await w.backend("HV3").getInventory()).host.cpuVendor).toBe("AMD");
          expect((await w.backend("HV4").getInventory()).host.cpuVendor).toBe("INTEL");
        },
        FIRST_CALL_TIMEOUT_MS,
      );
    });

    describe("host configuration", () => {
      it("disables and enables migration", async () => {
        const w = await world();
        const hv2 = w.backend("HV2");
        await hv2.disableMigration();
        expect((await hv2.getInventory()).settings.enabled).toBe(false);
        await hv2.enableMigration();
        expect((await hv2.getInventory()).settings.enabled).toBe(true);
      });

      it("adds, reprioritizes and removes migration networks", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        await hv1.addMigrationNetwork({ subnet: "10.0.2.0/24", priority: 5 });
        await hv1.addMigrationNetwork({ subnet: "fd00:1::/64", priority: null });
        await hv1.setMigrationNetworkPriority({ subnet: "10.0.2.0/24", priority: 7 });
        expect((await hv1.getInventory()).settings.networks).toEqual([
          { subnet: "10.0.1.0/24", priority: 1 },
          { subnet: "10.0.2.0/24", priority: 7 },
          { subnet: "fd00:1::/64", priority: null },
        ]);
        await hv1.removeMigrationNetwork("10.0.1.0/24");
        expect((await hv1.getInventory()).settings.networks.map((n) => n.subnet)).toEqual([
          "10.0.2.0/24",
          "fd00:1::/64",
        ]);
        // Set-VMMigrationNetwork cannot clear a priority (it has -NewPriority only); null still works.
        await hv1.setMigrationNetworkPriority({ subnet: "10.0.2.0/24", priority: null });
        expect(
          (await hv1.getInventory()).settings.networks.sort((a, b) => a.subnet.localeCompare(b.subnet)),
        ).toEqual([
          { subnet: "10.0.2.0/24", priority: null },
          { subnet: "fd00:1::/64", priority: null },
        ]);
      });

      it("refuses duplicate, unknown and malformed migration networks with typed errors", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        expect(await codeOf(hv1.addMigrationNetwork({ subnet: "10.0.1.0/24", priority: 2 }))).toBe(
          "NETWORK_EXISTS",
        );
        expect(await codeOf(hv1.setMigrationNetworkPriority({ subnet: "10.9.9.0/24", priority: 2 }))).toBe(
          "NETWORK_NOT_FOUND",
        );
        expect(await codeOf(hv1.removeMigrationNetwork("10.9.9.0/24"))).toBe("NETWORK_NOT_FOUND");
        expect(await codeOf(hv1.addMigrationNetwork({ subnet: "not a subnet", priority: null }))).toBe(
          "INVALID_PARAMETER",
        );
        expect(await codeOf(hv1.addMigrationNetwork({ subnet: "10.0.3.0/24", priority: -1 }))).toBe(
          "INVALID_PARAMETER",
        );
        expect((await hv1.getInventory()).settings.networks).toEqual([
          { subnet: "10.0.1.0/24", priority: 1 },
        ]);
      });

      it("changes host settings and rejects invalid ones without applying any part", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        await hv1.setHostSettings({
          authenticationType: "KERBEROS",
          performanceOption: "SMB",
          maximumVirtualMachineMigrations: 4,
          maximumStorageMigrations: 3,
          useAnyNetworkForMigration: true,
        });
        const settings = (await hv1.getInventory()).settings;
        expect(settings).toMatchObject({
          authenticationType: "KERBEROS",
          performanceOption: "SMB",
          maximumVirtualMachineMigrations: 4,
          maximumStorageMigrations: 3,
          useAnyNetworkForMigration: true,
        });
        expect(
          await codeOf(
            hv1.setHostSettings({ performanceOption: "TCPIP", maximumVirtualMachineMigrations: 0 }),
          ),
        ).toBe("INVALID_PARAMETER");
        expect((await hv1.getInventory()).settings.performanceOption).toBe("SMB");
      });
    });

    describe("processor compatibility", () => {
      it("is refused while the VM runs and applied while it is off", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        expect(await codeOf(hv1.setProcessorCompatibility(VM_IDS.web, true))).toBe("INVALID_VM_STATE");
        await hv1.setProcessorCompatibility(VM_IDS.off, true);
        const inv = await hv1.getInventory();
        expect(vmNamed(inv, "off-01")!.processorCompatibilityForMigration).toBe(true);
        expect(vmNamed(inv, "web-01")!.processorCompatibilityForMigration).toBe(false);
        expect(
          await codeOf(hv1.setProcessorCompatibility("0a1b2c3d-0000-4000-8000-0000000000ff", true)),
        ).toBe("VM_NOT_FOUND");
      });
    });

    describe("save and shut down (a maintenance's SAVE / SHUT_DOWN policy)", () => {
      it("saves a running VM, frees its memory, and leaves a saved or off VM as it is", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const before = await hv1.getInventory();
        const web = vmNamed(before, "web-01")!;
        expect(web.state).toBe("RUNNING");
        expect(await hv1.saveVm(VM_IDS.web)).toEqual({ state: "SAVED", changed: true });
        const after = await hv1.getInventory();
        expect(vmNamed(after, "web-01")).toMatchObject({ state: "SAVED", memoryAssignedBytes: 0n });
        expect(after.host.memoryAvailableBytes - before.host.memoryAvailableBytes).toBe(
          web.memoryAssignedBytes,
        );
        // Run again (an agent that died before answering): nothing changes.
        expect(await hv1.saveVm(VM_IDS.web)).toEqual({ state: "SAVED", changed: false });
        expect(await hv1.saveVm(VM_IDS.off)).toEqual({ state: "OFF", changed: false });
        expect(await codeOf(hv1.saveVm("0a1b2c3d-0000-4000-8000-0000000000ff"))).toBe("VM_NOT_FOUND");
        // Another host's VM is not this host's to save.
        expect(await codeOf(w.backend("HV2").saveVm(VM_IDS.db))).toBe("VM_NOT_FOUND");
      });

      it("shuts a running guest down to Off, never turning off one whose guest does not answer", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const before = await hv1.getInventory();
        const db = vmNamed(before, "db-01")!;
        expect(await hv1.stopVm(VM_IDS.db)).toEqual({ state: "OFF", changed: true });
        const after = await hv1.getInventory();
        expect(vmNamed(after, "db-01")).toMatchObject({ state: "OFF", memoryAssignedBytes: 0n });
        expect(after.host.memoryAvailableBytes - before.host.memoryAvailableBytes).toBe(
          db.memoryAssignedBytes,
        );
        expect(await hv1.stopVm(VM_IDS.db)).toEqual({ state: "OFF", changed: false });

        await w.injectFault("web-01", "SHUTDOWN_UNAVAILABLE");
        const refused = await errorOf(hv1.stopVm(VM_IDS.web));
        expect(refused.code).toBe("SHUTDOWN_UNAVAILABLE");
        expect(refused.message).toContain("web-01");
        // Not turned off: still running, its memory still held.
        const still = await hv1.getInventory();
        expect(vmNamed(still, "web-01")!.state).toBe("RUNNING");
        expect(still.host.memoryAvailableBytes).toBe(after.host.memoryAvailableBytes);
        // A saved VM is not shut down (it holds no memory; its saved state is kept).
        expect(await hv1.saveVm(VM_IDS.web)).toEqual({ state: "SAVED", changed: true });
        expect(await hv1.stopVm(VM_IDS.web)).toEqual({ state: "SAVED", changed: false });
      });

      it("refuses a VM that is moving", async () => {
        // timeScale 1: db-01 (32 GiB) moves for about 40 s, long enough for both calls on a loaded
        // machine (at the default 8, about 5 s, two PowerShell calls under load outlasted it).
        const w = await world(contractWorld({ timeScale: 1 }));
        const hv1 = w.backend("HV1");
        const job = await hv1.startMoveVm(live(VM_IDS.db, "HV2"));
        expect(await codeOf(hv1.saveVm(VM_IDS.db))).toBe("INVALID_VM_STATE");
        expect(await codeOf(hv1.stopVm(VM_IDS.db))).toBe("INVALID_VM_STATE");
        await hv1.cancelJob(job.jobId);
        expect((await waitForJob(hv1, job.jobId)).state).toBe("CANCELLED");
        expect(vmNamed(await hv1.getInventory(), "db-01")!.state).toBe("RUNNING");
      });
    });

    describe("compareVm", () => {
      it("reports nothing for a compatible move and Hyper-V's incompatibilities otherwise", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        expect(await hv1.compareVm(VM_IDS.web, "HV2")).toEqual([]);
        const lab = await hv1.compareVm(VM_IDS.lab, "HV2");
        expect(lab).toHaveLength(1);
        expect(lab[0]).toMatchObject({ message: "Could not find Ethernet switch 'Lab'.", messageId: 33012 });
        const amd = await hv1.compareVm(VM_IDS.web, "HV3");
        expect(amd.map((i) => i.message)).toEqual([
          'Virtual machine "web-01" is using processor-specific features not supported on host "HV3".',
        ]);
        // Processor compatibility mode does not cross CPU vendors (db-01 has it on).
        const both = await hv1.compareVm(VM_IDS.db, "HV3");
        expect(both.map((i) => i.message)).toEqual([
          'Virtual machine "db-01" is using processor-specific features not supported on host "HV3".',
          "Failed to create partition: Insufficient system resources exist to complete the requested service. (0x800705AA)",
        ]);
        const memory = await hv1.compareVm(VM_IDS.db, "HV4");
        expect(memory.map((i) => i.message)).toEqual([
          "Failed to create partition: Insufficient system resources exist to complete the requested service. (0x800705AA)",
        ]);
        expect(await codeOf(hv1.compareVm(VM_IDS.web, "no-such-host"))).toBe("INVALID_PARAMETER");
        expect(await codeOf(hv1.compareVm("0a1b2c3d-0000-4000-8000-0000000000ff", "HV2"))).toBe(
          "VM_NOT_FOUND",
        );
      });
    });

    describe("live migration", () => {
      it("moves a running VM to the destination, keeping its id", async () => {
        // Real time (about 3 s): the job is still running when startMoveVm returns, even on a loaded machine.
        const w = await world(contractWorld({ timeScale: 1 }));
        const hv1 = w.backend("HV1");
        const hv2 = w.backend("HV2");
        const started = await hv1.startMoveVm(live(VM_IDS.web, "HV2"));
        expect(started).toMatchObject({ kind: "LIVE", vmId: VM_IDS.web, state: "RUNNING", error: null });
        expect(started.percentComplete).toBeLessThan(100);
        const done = await waitForJob(hv1, started.jobId);
        expect(done).toMatchObject({ state: "COMPLETED", percentComplete: 100, error: null, kind: "LIVE" });
        expect(vmNamed(await hv1.getInventory(), "web-01")).toBeUndefined();
        const moved = vmNamed(await hv2.getInventory(), "web-01")!;
        expect(moved.vmId).toBe(VM_IDS.web);
        expect(moved.state).toBe("RUNNING");
        expect(moved.path).toBe(`${SHARE}\\web-01`);
        const events = await hv1.readEvents(null, 100);
        expect(
          events.some((e) => e.eventId === 20415 && e.vmName === "web-01" && e.level === "Information"),
        ).toBe(true);
      });

      it("moves a VM with its storage to a local folder of the destination", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const job = await hv1.startMoveVm({
          vmId: VM_IDS.local,
          destinationHost: "HV2",
          includeStorage: true,
          destinationStoragePath: "D:\\VMs\\local-01",
        });
        expect(job.kind).toBe("LIVE_WITH_STORAGE");
        expect((await waitForJob(hv1, job.jobId)).state).toBe("COMPLETED");
        const moved = vmNamed(await w.backend("HV2").getInventory(), "local-01")!;
        expect(moved.path).toBe("D:\\VMs\\local-01");
        expect(moved.hardDrives.map((d) => d.path)).toEqual(["D:\\VMs\\local-01\\local-01.vhdx"]);
      });

      it("refuses requests that name no VM of this host or no reachable destination", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const hv2 = w.backend("HV2");
        expect(await codeOf(hv1.startMoveVm(live("0a1b2c3d-0000-4000-8000-0000000000ff", "HV2")))).toBe(
          "VM_NOT_FOUND",
        );
        expect(await codeOf(hv2.startMoveVm(live(VM_IDS.web, "HV1")))).toBe("VM_NOT_FOUND");
        expect(await codeOf(hv1.startMoveVm(live(VM_IDS.web, "no-such-host")))).toBe("INVALID_PARAMETER");
        expect(await codeOf(hv1.startMoveVm(live(VM_IDS.web, "HV1")))).toBe("INVALID_PARAMETER");
        expect(
          await codeOf(
            hv1.startMoveVm({
              vmId: VM_IDS.web,
              destinationHost: "HV2",
              includeStorage: true,
              destinationStoragePath: null,
            }),
          ),
        ).toBe("INVALID_PARAMETER");
        expect(await hv1.listJobs()).toEqual([]);
      });
    });

    describe("storage migration", () => {
      it("moves a VM's storage to another folder and leaves the VM on its host", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const job = await hv1.startMoveStorage({
          vmId: VM_IDS.web,
          destinationStoragePath: `${SHARE}\\moved\\web-01`,
          vhds: null,
        });
        expect(job).toMatchObject({ kind: "STORAGE", vmId: VM_IDS.web, state: "RUNNING" });
        expect((await waitForJob(hv1, job.jobId)).state).toBe("COMPLETED");
        const vm = vmNamed(await hv1.getInventory(), "web-01")!;
        expect(vm.path).toBe(`${SHARE}\\moved\\web-01`);
        expect(vm.hardDrives.map((d) => d.path)).toEqual([`${SHARE}\\moved\\web-01\\web-01.vhdx`]);
        expect(
          (await hv1.readEvents(null, 100)).some((e) => e.vmName === "web-01" && e.level === "Information"),
        ).toBe(true);
      });

      it("moves single disks, which must keep their file name", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const from = `${SHARE}\\web-01\\web-01.vhdx`;
        expect(
          await codeOf(
            hv1.startMoveStorage({
              vmId: VM_IDS.web,
              destinationStoragePath: null,
              vhds: [{ sourcePath: from, destinationPath: "D:\\VMs\\renamed.vhdx" }],
            }),
          ),
        ).toBe("INVALID_PARAMETER");
        expect(
          await codeOf(
            hv1.startMoveStorage({
              vmId: VM_IDS.web,
              destinationStoragePath: "D:\\VMs",
              vhds: [{ sourcePath: from, destinationPath: "D:\\VMs\\web-01.vhdx" }],
            }),
          ),
        ).toBe("INVALID_PARAMETER");
        expect(
          await codeOf(hv1.startMoveStorage({ vmId: VM_IDS.web, destinationStoragePath: null, vhds: [] })),
        ).toBe("INVALID_PARAMETER");
        const job = await hv1.startMoveStorage({
          vmId: VM_IDS.web,
          destinationStoragePath: null,
          vhds: [{ sourcePath: from, destinationPath: "D:\\VMs\\web-01.vhdx" }],
        });
        expect((await waitForJob(hv1, job.jobId)).state).toBe("COMPLETED");
        const vm = vmNamed(await hv1.getInventory(), "web-01")!;
        expect(vm.hardDrives.map((d) => d.path)).toEqual(["D:\\VMs\\web-01.vhdx"]);
        expect(vm.path).toBe(`${SHARE}\\web-01`);
      });

      it("fails late with PATH_NOT_FOUND for a folder on no volume", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const job = await hv1.startMoveStorage({
          vmId: VM_IDS.web,
          destinationStoragePath: "Q:\\nowhere",
          vhds: null,
        });
        const done = await waitForJob(hv1, job.jobId);
        expect(done.state).toBe("FAILED");
        expect(done.error).toMatchObject({ code: "PATH_NOT_FOUND", eventId: 20413 });
        expect(done.percentComplete).toBeGreaterThanOrEqual(90);
      });
    });

    describe("failures from docs/hyperv.md", () => {
      it("MIGRATION_DISABLED when the destination has migration disabled", async () => {
        const w = await world();
        await w.backend("HV2").disableMigration();
        const error = await errorOf(w.backend("HV1").startMoveVm(live(VM_IDS.web, "HV2")));
        expect(error.code).toBe("MIGRATION_DISABLED");
        expect(error.message).toContain("migration is not enabled");
      });

      it("AUTHENTICATION_FAILED for Kerberos without constrained delegation", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        await hv1.setHostSettings({ authenticationType: "KERBEROS" });
        const error = await errorOf(hv1.startMoveVm(live(VM_IDS.off, "HV3")));
        expect(error.code).toBe("AUTHENTICATION_FAILED");
        expect(error.message).toContain("0x8009030E");
        // Delegated to HV2: the same move there is accepted.
        const job = await hv1.startMoveVm(live(VM_IDS.off, "HV2"));
        expect((await waitForJob(hv1, job.jobId)).state).toBe("COMPLETED");
      });

      it("PROCESSOR_INCOMPATIBLE for a running VM going to another CPU vendor", async () => {
        const w = await world();
        const error = await errorOf(w.backend("HV1").startMoveVm(live(VM_IDS.web, "HV3")));
        expect(error.code).toBe("PROCESSOR_INCOMPATIBLE");
        expect(error.message).toContain("processor-specific features");
      });

      it("PROCESSOR_INCOMPATIBLE across CPU vendors even with processor compatibility mode", async () => {
        const w = await world();
        const error = await errorOf(w.backend("HV1").startMoveVm(live(VM_IDS.db, "HV3")));
        expect(error.code).toBe("PROCESSOR_INCOMPATIBLE");
      });

      it("NETWORK_UNREACHABLE when the destination has no usable migration network", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        expect(await codeOf(hv1.startMoveVm(live(VM_IDS.web, "HV4")))).toBe("NETWORK_UNREACHABLE");
        await w.backend("HV4").setHostSettings({ useAnyNetworkForMigration: true });
        expect((await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.web, "HV4"))).jobId)).state).toBe(
          "COMPLETED",
        );
      });

      it("refuses a plain Move-VM of a clustered VM", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        expect(vmNamed(await hv1.getInventory(), "ha-01")?.isClustered).toBe(true);
        expect(vmNamed(await hv1.getInventory(), "web-01")?.isClustered).toBe(false);
        expect(await codeOf(hv1.startMoveVm(live(VM_IDS.ha, "HV2")))).toBe("INVALID_VM_STATE");
        expect(await hv1.listJobs()).toEqual([]);
      });

      it("SWITCH_NOT_FOUND early in the job when the destination lacks the VM's switch", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const done = await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.lab, "HV2"))).jobId);
        expect(done.state).toBe("FAILED");
        expect(done.error).toEqual({
          code: "SWITCH_NOT_FOUND",
          message: "Could not find Ethernet switch 'Lab'.",
          eventId: 21125,
        });
        expect(done.percentComplete).toBeLessThan(10);
        expect(vmNamed(await hv1.getInventory(), "lab-01")).toBeDefined();
        const events = await w.backend("HV2").readEvents(null, 100);
        expect(events.some((e) => e.eventId === 21125 && e.vmName === "lab-01")).toBe(true);
      });

      it("INSUFFICIENT_MEMORY early in the job when the destination cannot hold the VM", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        await w.backend("HV4").setHostSettings({ useAnyNetworkForMigration: true });
        const done = await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.db, "HV4"))).jobId);
        expect(done.state).toBe("FAILED");
        expect(done.error?.code).toBe("INSUFFICIENT_MEMORY");
        expect(done.error?.message).toContain("0x800705AA");
        expect(done.percentComplete).toBeLessThan(10);
      });

      it("NETWORK_REFUSED when the destination's migration firewall rule is disabled", async () => {
        const def = contractWorld();
        def.hosts[1]!.firewallRules[0]!.enabled = false;
        const w = await world(def);
        const error = await errorOf(w.backend("HV1").startMoveVm(live(VM_IDS.web, "HV2")));
        expect(error.code).toBe("NETWORK_REFUSED");
        expect(error.message).toContain("0x8007274D");
        expect((await w.backend("HV2").getInventory()).firewallRules[0]!.enabled).toBe(false);
      });

      it("PATH_NOT_FOUND late in the job when the destination cannot reach local storage", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const done = await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.local, "HV2"))).jobId);
        expect(done.state).toBe("FAILED");
        expect(done.error).toMatchObject({ code: "PATH_NOT_FOUND", eventId: 20413 });
        expect(done.error?.message).toContain("cannot find the path");
        expect(done.percentComplete).toBeGreaterThanOrEqual(90);
        expect(vmNamed(await hv1.getInventory(), "local-01")).toBeDefined();
      });

      it("INVALID_VM_STATE for a configuration version the destination does not support", async () => {
        const w = await world();
        expect(await codeOf(w.backend("HV1").startMoveVm(live(VM_IDS.old, "HV2")))).toBe("INVALID_VM_STATE");
      });

      it.each([
        ["NETWORK_TIMEOUT", "0x8007274C"],
        ["NETWORK_ACCESS_DENIED", "0x8007271D"],
      ] as const)("%s at start when the connection fails that way", async (code, hresult) => {
        const w = await world();
        await w.injectFault("web-01", code);
        const error = await errorOf(w.backend("HV1").startMoveVm(live(VM_IDS.web, "HV2")));
        expect(error.code).toBe(code);
        expect(error.message).toContain(hresult);
      });

      it("NETWORK_RESET ends the job FAILED midway", async () => {
        const w = await world();
        await w.injectFault("web-01", "NETWORK_RESET");
        const hv1 = w.backend("HV1");
        const done = await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.web, "HV2"))).jobId);
        expect(done.state).toBe("FAILED");
        expect(done.error?.code).toBe("NETWORK_RESET");
        expect(done.percentComplete).toBeGreaterThan(0);
        expect(done.percentComplete).toBeLessThan(90);
      });

      it("a long blackout completes the move with warning 20417", async () => {
        const w = await world(contractWorld({ timeScale: 200 }));
        await w.injectFault("web-01", "LONG_BLACKOUT");
        const hv1 = w.backend("HV1");
        const done = await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.web, "HV2"))).jobId);
        expect(done.state).toBe("COMPLETED");
        const warning = (await hv1.readEvents(null, 100)).find((e) => e.eventId === 20417);
        expect(warning).toMatchObject({ level: "Warning", vmName: "web-01" });
        expect(warning!.message).toContain("unexpectedly long blackout time");
      });
    });

    describe("limits, cancel and jobs", () => {
      it("fails with MIGRATION_LIMIT_REACHED (event 21501) past the host's limit", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        await hv1.setHostSettings({ maximumVirtualMachineMigrations: 1 });
        const first = await hv1.startMoveVm(live(VM_IDS.db, "HV2"));
        const error = await errorOf(hv1.startMoveVm(live(VM_IDS.web, "HV2")));
        expect(error.code).toBe("MIGRATION_LIMIT_REACHED");
        expect(error.eventId).toBe(21501);
        expect(error.message).toContain('migration limit "1" was reached');
        const events = await hv1.readEvents(null, 100);
        expect(events.some((e) => e.eventId === 21501 && e.vmName === "web-01" && e.level === "Error")).toBe(
          true,
        );
        await hv1.cancelJob(first.jobId);
        expect((await waitForJob(hv1, first.jobId)).state).toBe("CANCELLED");
      });

      it("cancels a running move: the job ends CANCELLED and the VM stays", async () => {
        // timeScale 1: a 40 s move, still running when the cancel arrives on a loaded machine.
        const w = await world(contractWorld({ timeScale: 1 }));
        const hv1 = w.backend("HV1");
        const job = await hv1.startMoveVm(live(VM_IDS.db, "HV2"));
        await hv1.cancelJob(job.jobId);
        const done = await waitForJob(hv1, job.jobId);
        expect(done.state).toBe("CANCELLED");
        expect(done.percentComplete).toBeLessThan(100);
        expect(done.error?.code).toBe("CANCELLED");
        await hv1.cancelJob(job.jobId); // already ended: nothing to do
        expect((await hv1.getJob(job.jobId)).state).toBe("CANCELLED");
        expect(vmNamed(await hv1.getInventory(), "db-01")).toBeDefined();
        expect(vmNamed(await w.backend("HV2").getInventory(), "db-01")).toBeUndefined();
        expect(await codeOf(hv1.cancelJob("no-such-job"))).toBe("JOB_NOT_FOUND");
      });

      it("lists every job of the host, finished ones included, also after a restart", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        const a = await hv1.startMoveVm(live(VM_IDS.web, "HV2"));
        const b = await hv1.startMoveStorage({
          vmId: VM_IDS.local,
          destinationStoragePath: "D:\\moved",
          vhds: null,
        });
        await waitForJob(hv1, a.jobId);
        await waitForJob(hv1, b.jobId);
        const restarted = await w.restart("HV1");
        const jobs = await restarted.listJobs();
        expect(jobs.map((j) => j.jobId).sort()).toEqual([a.jobId, b.jobId].sort());
        expect(jobs.find((j) => j.jobId === a.jobId)).toMatchObject({
          state: "COMPLETED",
          kind: "LIVE",
          vmId: VM_IDS.web,
        });
        expect(jobs.find((j) => j.jobId === b.jobId)).toMatchObject({ state: "COMPLETED", kind: "STORAGE" });
        expect(await w.backend("HV2").listJobs()).toEqual([]);
        expect(await codeOf(restarted.getJob("no-such-job"))).toBe("JOB_NOT_FOUND");
      });
    });

    describe("events", () => {
      it("reads the VMMS-Admin log after a bookmark, oldest first, without duplicates", async () => {
        const w = await world();
        const hv1 = w.backend("HV1");
        expect(await hv1.readEvents(null, 10)).toEqual([]);
        await codeOf(hv1.startMoveVm(live(VM_IDS.web, "HV3")));
        await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.lab, "HV2"))).jobId);
        await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.web, "HV2"))).jobId);
        const all = await hv1.readEvents(null, 1000);
        expect(all.length).toBeGreaterThanOrEqual(4);
        const ids = all.map((e) => e.recordId);
        expect(ids).toEqual([...ids].sort((x, y) => x - y));
        expect(new Set(ids).size).toBe(ids.length);
        for (const e of all) {
          expect(Number.isNaN(Date.parse(e.timeCreated))).toBe(false);
          expect(["Information", "Warning", "Error"]).toContain(e.level);
        }
        const paged: HostEvent[] = [];
        let bookmark: number | null = null;
        for (let page = 0; page < 50; page++) {
          const batch: HostEvent[] = await hv1.readEvents(bookmark, 2);
          if (batch.length === 0) break;
          expect(batch.length).toBeLessThanOrEqual(2);
          paged.push(...batch);
          bookmark = batch[batch.length - 1]!.recordId;
        }
        expect(paged).toEqual(all);
        expect(await hv1.readEvents(bookmark, 10)).toEqual([]);
        expect(await hv1.readEvents(null, 0)).toEqual([]);
      });
    });

    describe("hostile data", () => {
      const marker = join(tmpdir(), `ferry-injected-${name.replace(/\W/g, "")}-${process.pid}`);
      const evil = hostileName(marker);
      const payloads = injectionPayloads(marker);

      afterAll(() => {
        expect(existsSync(marker)).toBe(false);
      });

      it("shows a VM with a hostile name, path and switch exactly as defined", async () => {
        const def = contractWorld({ hostileMarker: marker });
        const w = await world(def);
        const inv = await w.backend("HV1").getInventory();
        const expected = def.hosts[0]!.vms.find((v) => v.vmId === VM_IDS.evil)!;
        const actual = inv.vms.find((v) => v.vmId === VM_IDS.evil)!;
        expect(actual.name).toBe(evil);
        expect(actual.path).toBe(expected.path);
        expect(actual.hardDrives).toEqual(expected.hardDrives);
        expect(inv.switches.map((s) => s.name)).toEqual(def.hosts[0]!.switches.map((s) => s.name));
        expect(existsSync(marker)).toBe(false);
      });

      it("moves the hostile VM and reports its name verbatim in jobs and events", async () => {
        const w = await world(contractWorld({ hostileMarker: marker }));
        const hv1 = w.backend("HV1");
        expect(await codeOf(hv1.setProcessorCompatibility(VM_IDS.evil, true))).toBe("INVALID_VM_STATE");
        await w.injectFault(evil, "SHUTDOWN_UNAVAILABLE");
        const refused = await errorOf(hv1.stopVm(VM_IDS.evil));
        expect(refused.code).toBe("SHUTDOWN_UNAVAILABLE");
        // The name verbatim (messages are whitespace-collapsed for logs).
        expect(refused.message.replace(/\s+/g, " ")).toContain(evil.replace(/\s+/g, " "));
        const done = await waitForJob(hv1, (await hv1.startMoveVm(live(VM_IDS.evil, "HV2"))).jobId);
        expect(done.state).toBe("COMPLETED");
        expect(vmNamed(await w.backend("HV2").getInventory(), evil)?.vmId).toBe(VM_IDS.evil);
        const events = await hv1.readEvents(null, 100);
        expect(events.some((e) => e.vmName === evil && e.message.includes(evil))).toBe(true);
        expect(existsSync(marker)).toBe(false);
      });

      it("treats hostile strings in every parameter as data and answers with typed errors", async () => {
        const w = await world(contractWorld({ hostileMarker: marker }));
        const hv1 = w.backend("HV1");
        for (const payload of payloads) {
          expect(await codeOf(hv1.startMoveVm(live(payload, "HV2")))).toBe("VM_NOT_FOUND");
          expect(await codeOf(hv1.startMoveVm(live(VM_IDS.off, payload)))).toBe("INVALID_PARAMETER");
          expect(await codeOf(hv1.compareVm(VM_IDS.web, payload))).toBe("INVALID_PARAMETER");
          expect(await codeOf(hv1.setProcessorCompatibility(payload, true))).toBe("VM_NOT_FOUND");
          expect(await codeOf(hv1.saveVm(payload))).toBe("VM_NOT_FOUND");
          expect(await codeOf(hv1.stopVm(payload))).toBe("VM_NOT_FOUND");
          expect(await codeOf(hv1.addMigrationNetwork({ subnet: payload, priority: 1 }))).toBe(
            "INVALID_PARAMETER",
          );
          expect(await codeOf(hv1.setMigrationNetworkPriority({ subnet: payload, priority: 1 }))).toBe(
            "NETWORK_NOT_FOUND",
          );
          expect(await codeOf(hv1.removeMigrationNetwork(payload))).toBe("NETWORK_NOT_FOUND");
          expect(await codeOf(hv1.getJob(payload))).toBe("JOB_NOT_FOUND");
          expect(await codeOf(hv1.cancelJob(payload))).toBe("JOB_NOT_FOUND");
        }
        // A hostile destination folder is just a folder on no volume.
        const job = await hv1.startMoveStorage({
          vmId: VM_IDS.off,
          destinationStoragePath: payloads[0]!,
          vhds: null,
        });
        const done = await waitForJob(hv1, job.jobId);
        expect(done.state).toBe("FAILED");
        expect(done.error?.code).toBe("PATH_NOT_FOUND");
        expect((await hv1.getInventory()).settings.networks).toEqual([
          { subnet: "10.0.1.0/24", priority: 1 },
        ]);
        expect(existsSync(marker)).toBe(false);
      });
    });
  });
}
