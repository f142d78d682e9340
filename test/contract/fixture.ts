// The contract suite's world: four hosts (HV1 and HV2 Intel, HV3 AMD with little memory, HV4 Intel
// with little memory and no usable migration network), shared
// storage on \\fs01\vms, and VMs chosen so that each failure in docs/hyperv.md can happen for real.
// timeScale 8: a 2 GiB VM moves in about half a second, the 32 GiB one in about five.

import type { HostDefinition, WorldDefinition } from "@ferry/agent/simulator";
import type { HardDrive, Vm } from "@ferry/agent/testing";
import { testHost } from "../helpers/sim-world.ts";

export const GiB = 1024n ** 3n;

export const SHARE = "\\\\fs01\\vms";

export const VM_IDS = {
  web: "0a1b2c3d-0000-4000-8000-000000000001",
  db: "0a1b2c3d-0000-4000-8000-000000000002",
  local: "0a1b2c3d-0000-4000-8000-000000000003",
  off: "0a1b2c3d-0000-4000-8000-000000000004",
  lab: "0a1b2c3d-0000-4000-8000-000000000005",
  old: "0a1b2c3d-0000-4000-8000-000000000006",
  ha: "0a1b2c3d-0000-4000-8000-000000000007",
  evil: "0a1b2c3d-0000-4000-8000-0000000000ee",
} as const;

/** Code that must never run: each variant tries to create `marker` by breaking out of a different quoting. */
export function injectionPayloads(marker: string): string[] {
  return [
    `'; New-Item -ItemType File -Path '${marker}' | Out-Null; '`,
    `"; New-Item -ItemType File -Path "${marker}" | Out-Null; "`,
    `$(New-Item -ItemType File -Path '${marker}')`,
    `\${function:New-Item}`,
    `\u2019; New-Item -ItemType File -Path \u2018${marker}\u2019; \u2018`,
    `\u201d; New-Item -ItemType File -Path \u201c${marker}\u201d; \u201c`,
    `\`$(New-Item -ItemType File -Path '${marker}')\``,
    `\n New-Item -ItemType File -Path '${marker}'\n`,
    `| New-Item -ItemType File -Path '${marker}' & # <# @(1,2) #>`,
  ];
}

/** A VM name with every character PowerShell treats specially, plus the payloads. */
export function hostileName(marker: string): string {
  return `evil ' " \u2018 \u2019 \u201c \u201d $(whoami) \${env:PATH} \`n ; | & # <# @(1,2) ${injectionPayloads(marker).join(" ")}`;
}

function vm(name: string, vmId: string, over: Partial<Vm> = {}): Vm {
  const path = over.path ?? `${SHARE}\\${name}`;
  const drives: HardDrive[] = [{ path: `${path}\\${name}.vhdx`, sizeBytes: 2n * GiB }];
  return {
    vmId,
    name,
    state: "RUNNING",
    status: "Operating normally",
    cpuUsage: 5,
    memoryAssignedBytes: 2n * GiB,
    memoryStartupBytes: 2n * GiB,
    uptimeSeconds: 3600,
    generation: 2,
    configurationVersion: "8.0",
    processorCompatibilityForMigration: false,
    isClustered: false,
    path,
    hardDrives: drives,
    switchNames: ["Production"],
    ...over,
  };
}

/** The simulator's test host (test/helpers/sim-world.ts) with the contract's disk folder and two adapters (10 GbE RDMA + 1 GbE). */
function host(name: string, octet: number, over: Partial<HostDefinition["facts"]> = {}): HostDefinition {
  const base = testHost(name, octet);
  return {
    ...base,
    facts: { ...base.facts, virtualHardDiskPath: "D:\\VMs\\Virtual Hard Disks", ...over },
    networkAdapters: [
      {
        name: "LiveMigration",
        linkSpeedBps: 10_000_000_000n,
        rdmaCapable: true,
        ipAddresses: [`10.0.1.${octet}`],
      },
      {
        name: "Management",
        linkSpeedBps: 1_000_000_000n,
        rdmaCapable: false,
        ipAddresses: [`192.168.0.${octet}`],
      },
    ],
  };
}

export interface FixtureOptions {
  timeScale?: number;
  /** Adds the hostile VM (and a hostile switch) to HV1. */
  hostileMarker?: string;
}

export function contractWorld(opts: FixtureOptions = {}): WorldDefinition {
  const hv1 = host("HV1", 11);
  hv1.switches.push({ name: "Lab", switchType: "Internal" });
  hv1.vms = [
    vm("web-01", VM_IDS.web),
    vm("db-01", VM_IDS.db, {
      memoryAssignedBytes: 32n * GiB,
      memoryStartupBytes: 32n * GiB,
      processorCompatibilityForMigration: true,
    }),
    vm("local-01", VM_IDS.local, { path: "D:\\VMs\\local-01" }),
    vm("off-01", VM_IDS.off, {
      state: "OFF",
      cpuUsage: 0,
      memoryAssignedBytes: 0n,
      uptimeSeconds: 0,
      status: null,
    }),
    vm("lab-01", VM_IDS.lab, { switchNames: ["Lab"] }),
    vm("old-01", VM_IDS.old, { configurationVersion: "9.0" }),
    vm("ha-01", VM_IDS.ha, {
      state: "OFF",
      cpuUsage: 0,
      memoryAssignedBytes: 0n,
      uptimeSeconds: 0,
      status: null,
      isClustered: true,
    }),
  ];
  const hv2 = host("HV2", 12);
  const hv3 = host("HV3", 13, {
    cpuVendor: "AMD",
    cpuModel: "AMD EPYC 7302 16-Core Processor",
    memoryCapacityBytes: 16n * GiB,
    supportedVmVersions: ["5.0", "6.2", "7.0", "7.1", "8.0", "9.0"],
  });
  // Intel like HV1, 16 GiB, and its only migration network holds none of its addresses.
  const hv4 = host("HV4", 14, { memoryCapacityBytes: 16n * GiB });
  hv4.settings = { ...hv4.settings, networks: [{ subnet: "10.9.9.0/24", priority: 1 }] };
  if (opts.hostileMarker !== undefined) {
    const name = hostileName(opts.hostileMarker);
    const evilSwitch = `Prod'uction $(New-Item -ItemType File -Path '${opts.hostileMarker}') \u2019\u201d`;
    hv1.switches.push({ name: evilSwitch, switchType: "Private" });
    hv1.vms.push(
      vm(name, VM_IDS.evil, {
        path: `${SHARE}\\evil '$(x) \u2019 \`a; #`,
        switchNames: ["Production"],
      }),
    );
  }
  const mvsms = "Microsoft Virtual System Migration Service";
  return {
    seed: 7,
    timeScale: opts.timeScale ?? 8,
    hosts: [hv1, hv2, hv3, hv4],
    sharedVolumes: [{ root: SHARE, freeBytes: 10_000n * GiB }],
    delegations: {
      HV1: [`cifs/HV2`, `cifs/HV2.corp.local`, `${mvsms}/HV2`, `${mvsms}/HV2.corp.local`],
    },
  };
}
