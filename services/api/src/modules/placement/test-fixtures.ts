// Plain-data fixtures for placement's unit tests (planner.test.ts, start-check.test.ts): Hyper-V hosts
// that can take a move by default, VMs on shared storage, a fleet without maintenance or groups.
import type { HostView, VmView } from "../migrations/preflight.ts";
import type { Fleet, PlannerHost, PlannerVm } from "./types.ts";

export const GiB = 1024n ** 3n;

export function host(n: number, over: Partial<HostView> = {}, extra: Partial<PlannerHost> = {}): PlannerHost {
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return {
    view: {
      id,
      name: `HV${n}`,
      fqdn: `HV${n}.corp.local`,
      domain: "corp.local",
      cpuVendor: "INTEL",
      memoryAvailableBytes: 60n * GiB,
      supportedVmVersions: ["8.0"],
      delegations: [],
      delegationsKnown: true,
      agentConnected: true,
      settings: {
        enabled: true,
        authenticationType: "CREDSSP",
        performanceOption: "TCPIP",
        useAnyNetworkForMigration: true,
      },
      migrationSubnets: [],
      adapterAddresses: [`10.0.1.${n}`],
      switches: ["Production"],
      firewallRules: [{ name: "VIRT-MIGL-In-TCP-NoScope", enabled: true }],
      volumes: [{ root: "D:\\", freeBytes: 500n * GiB }],
      ...over,
    },
    memoryCapacityBytes: 64n * GiB,
    memoryReserveBytes: 2n * GiB,
    promisedBytes: 0n,
    incomingMoves: 0,
    virtualMachinePath: "D:\\VMs",
    ...extra,
  };
}

export function vm(name: string, on: PlannerHost, over: Partial<VmView> = {}): PlannerVm {
  return {
    id: `vm-${name}`,
    hostId: on.view.id,
    view: {
      name,
      state: "RUNNING",
      memoryAssignedBytes: 4n * GiB,
      memoryStartupBytes: 4n * GiB,
      configurationVersion: "8.0",
      processorCompatibilityForMigration: false,
      isClustered: false,
      path: `\\\\fs01\\vms\\${name}`,
      hardDrives: [{ path: `\\\\fs01\\vms\\${name}\\${name}.vhdx`, sizeBytes: 40n * GiB }],
      switchNames: ["Production"],
      ...over,
    },
  };
}

export const fleetOf = (hosts: PlannerHost[], over: Partial<Fleet> = {}): Fleet => ({
  hosts,
  inMaintenance: new Set(),
  antiAffinityGroups: [],
  locations: new Map(),
  ...over,
});
