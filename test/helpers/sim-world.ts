// A small hand-made world for tests (also usable by the contract suite): three hosts, two Intel and
// one AMD, shared storage on \\fs01\vms, and a manual clock.

import type { Clock, HostDefinition, WorldDefinition } from "@ferry/agent/simulator";
import type { Vm } from "@ferry/agent/testing";

export const GiB = 1024n ** 3n;

export class ManualClock implements Clock {
  constructor(public t = Date.UTC(2024, 0, 1, 8, 0, 0)) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const VM_IDS = {
  shared: "11111111-1111-4111-8111-111111111111",
  local: "22222222-2222-4222-8222-222222222222",
  off: "33333333-3333-4333-8333-333333333333",
  small: "44444444-4444-4444-8444-444444444444",
} as const;

export function testVm(name: string, vmId: string, over: Partial<Vm> = {}): Vm {
  const path = over.path ?? `\\\\fs01\\vms\\${name}`;
  return {
    vmId,
    name,
    state: "RUNNING",
    status: "Operating normally",
    cpuUsage: 0,
    memoryAssignedBytes: 2n * GiB,
    memoryStartupBytes: 2n * GiB,
    uptimeSeconds: 3600,
    generation: 2,
    configurationVersion: "8.0",
    processorCompatibilityForMigration: false,
    path,
    hardDrives: [{ path: `${path}\\Virtual Hard Disks\\${name}.vhdx`, sizeBytes: 40n * GiB }],
    switchNames: ["Production"],
    ...over,
  };
}

export function testHost(name: string, octet: number, over: Partial<HostDefinition> = {}): HostDefinition {
  return {
    facts: {
      name,
      fqdn: `${name}.corp.local`,
      domain: "corp.local",
      cpuVendor: "INTEL",
      cpuModel: "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz",
      logicalProcessorCount: 32,
      memoryCapacityBytes: 64n * GiB,
      supportedVmVersions: ["5.0", "6.2", "7.0", "7.1", "8.0"],
      virtualMachinePath: "D:\\VMs",
      virtualHardDiskPath: "D:\\VMs",
    },
    settings: {
      enabled: true,
      authenticationType: "CREDSSP",
      performanceOption: "TCPIP",
      maximumVirtualMachineMigrations: 2,
      maximumStorageMigrations: 2,
      useAnyNetworkForMigration: false,
      networks: [{ subnet: "10.0.1.0/24", priority: 1 }],
    },
    switches: [{ name: "Production", switchType: "External" }],
    networkAdapters: [
      {
        name: "LiveMigration",
        linkSpeedBps: 1_000_000_000n,
        rdmaCapable: false,
        ipAddresses: [`10.0.1.${octet}`],
      },
    ],
    firewallRules: [
      {
        name: "VIRT-MIGL-In-TCP-NoScope",
        displayName: "Hyper-V (MIG-TCP-In)",
        enabled: true,
        protocol: "TCP",
        localPort: "6600",
      },
      {
        name: "FPS-SMB-In-TCP",
        displayName: "File and Printer Sharing (SMB-In)",
        enabled: true,
        protocol: "TCP",
        localPort: "445",
      },
    ],
    volumes: [{ root: "D:\\", freeBytes: 1024n * GiB }],
    vms: [],
    ...over,
  };
}

/** HV1 (Intel) holds four VMs; HV2 (Intel) is empty; HV3 is AMD. */
export function testWorld(): WorldDefinition {
  const hv1 = testHost("HV1", 11);
  hv1.vms = [
    testVm("vm-shared", VM_IDS.shared, { memoryAssignedBytes: 8n * GiB, memoryStartupBytes: 8n * GiB }),
    testVm("vm-local", VM_IDS.local, { path: "D:\\VMs\\vm-local" }),
    testVm("vm-off", VM_IDS.off, { state: "OFF", memoryAssignedBytes: 0n, uptimeSeconds: 0 }),
    testVm("vm-small", VM_IDS.small, { memoryAssignedBytes: 1n * GiB, memoryStartupBytes: 1n * GiB }),
  ];
  const hv3 = testHost("HV3", 13);
  hv3.facts.cpuVendor = "AMD";
  hv3.facts.cpuModel = "AMD EPYC 7302 16-Core Processor";
  return {
    seed: 42,
    timeScale: 1,
    hosts: [hv1, testHost("HV2", 12), hv3],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 10_000n * GiB }],
    delegations: { HV1: [], HV2: [], HV3: [] },
  };
}
