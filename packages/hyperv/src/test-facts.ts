// Rule inputs for tests: a ready Intel host in corp.local and a running VM that fits it.
import type { HostFacts, VmFacts } from "./facts.ts";

const GiB = 1024n ** 3n;

export function host(name: string, over: Partial<HostFacts> = {}): HostFacts {
  return {
    name,
    apiId: `id-${name}`,
    fqdn: `${name}.corp.local`,
    domain: "corp.local",
    cpuVendor: "INTEL",
    migrationEnabled: true,
    authenticationType: "KERBEROS",
    performanceOption: "COMPRESSION",
    useAnyNetworkForMigration: false,
    migrationSubnets: ["10.0.1.0/24"],
    adapterAddresses: ["10.0.1.10"],
    delegations: [],
    switches: ["Production"],
    firewallRules: [
      { name: "VIRT-MIGL-In-TCP-NoScope", enabled: true },
      { name: "FPS-SMB-In-TCP", enabled: true },
    ],
    memoryAvailableBytes: 64n * GiB,
    supportedVmVersions: ["5.0", "6.2", "7.0", "7.1", "8.0"],
    ...over,
  };
}

export function vm(over: Partial<VmFacts> = {}): VmFacts {
  return {
    name: "web-01",
    state: "RUNNING",
    memoryAssignedBytes: 4n * GiB,
    memoryStartupBytes: 4n * GiB,
    configurationVersion: "8.0",
    processorCompatibilityForMigration: false,
    switchNames: ["Production"],
    isClustered: false,
    ...over,
  };
}

/** Full delegation from a source to `peer`, as delegationPlan lists it. */
export function delegationsTo(peer: string): string[] {
  return ["cifs", "Microsoft Virtual System Migration Service"].flatMap((s) => [
    `${s}/${peer}`,
    `${s}/${peer}.corp.local`,
  ]);
}
