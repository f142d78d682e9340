// A demo-like fleet: realistic, deliberately not all ready for migration, deterministic from seed.
import type { FirewallRule, HardDrive, NetworkAdapter, VirtualSwitch, Vm, VmState } from "../types.ts";
import type { HostDefinition, WorldDefinition } from "../world.ts";
import { HOST_RESERVE_BYTES } from "./model.ts";
import { MIGRATION_RULE, SMB_RULE } from "./moves.ts";
import { guid, hashSeed, intBetween, pick, rng } from "./rng.ts";

const GiB = 1024n ** 3n;
const MiB = 1024n ** 2n;
const GBIT = 1_000_000_000n;
export const FLEET_DOMAIN = "corp.local";
export const FLEET_SHARE = "\\\\fs01\\vms";
const SERVER_2016_VERSIONS = ["5.0", "6.2", "7.0", "7.1", "8.0"];
const ROLES = ["web", "app", "db", "sql", "cache", "mq", "file", "build", "mon", "dc", "proxy", "api"];
/** Kerberos delegation is configured within groups of this many hosts (AD objects stay small). */
const DELEGATION_GROUP = 50;

/** HV-A01 .. HV-A99, HV-B01 ..; past HV-Z99 plain numbers. */
export function fleetHostName(i: number): string {
  const group = Math.floor(i / 99);
  return group < 26
    ? `HV-${String.fromCharCode(65 + group)}${String((i % 99) + 1).padStart(2, "0")}`
    : `HV-${i + 1}`;
}

function vmName(k: number): string {
  return `${ROLES[k % ROLES.length]}-${String(Math.floor(k / ROLES.length) + 1).padStart(2, "0")}`;
}

function firewallRules(migrationRuleEnabled: boolean): FirewallRule[] {
  return [
    {
      name: MIGRATION_RULE,
      displayName: "Hyper-V (MIG-TCP-In)",
      enabled: migrationRuleEnabled,
      protocol: "TCP",
      localPort: "6600",
    },
    {
      name: SMB_RULE,
      displayName: "File and Printer Sharing (SMB-In)",
      enabled: true,
      protocol: "TCP",
      localPort: "445",
    },
  ];
}

function delegationsTo(peer: string): string[] {
  const fqdn = `${peer}.${FLEET_DOMAIN}`;
  return [
    `cifs/${peer}`,
    `cifs/${fqdn}`,
    `Microsoft Virtual System Migration Service/${peer}`,
    `Microsoft Virtual System Migration Service/${fqdn}`,
  ];
}

/**
 * Host i's quirks (small fleets get one of each; the full list is in docs/hyperv.md "Demo fleet"):
 * HV-A01 is a Kerberos host with delegations half done, HV-A03 lacks the Production switch, HV-A04 has
 * the live-migration firewall rule disabled, every 5th host has migration disabled, HV-A06 is nearly
 * full, HV-A07 has no usable migration network, HV-A08 runs Server 2012 R2 (5.0 only); pairs of hosts
 * alternate Intel and AMD (HV-A01/02 Intel, HV-A03/04 AMD, ...); every 3rd host has a 1 Gbps migration adapter.
 */
function makeHost(i: number, seed: number, vmsPerHost: number, vmCounter: { k: number }): HostDefinition {
  const r = rng(hashSeed(seed, "host", i));
  const name = fleetHostName(i);
  const intel = Math.floor(i / 2) % 2 === 0;
  const lmSpeed = i % 3 === 2 ? GBIT : 10n * GBIT;
  const rdma = lmSpeed > GBIT && i % 2 === 0;
  const subnetIndex = 1 + Math.floor(i / 240);
  const hostOctet = 10 + (i % 240);
  const networkAdapters: NetworkAdapter[] = [
    {
      name: "Management",
      linkSpeedBps: GBIT,
      rdmaCapable: false,
      ipAddresses: [`192.168.${subnetIndex - 1}.${hostOctet}`],
    },
    {
      name: "LiveMigration",
      linkSpeedBps: lmSpeed,
      rdmaCapable: rdma,
      ipAddresses: [`10.0.${subnetIndex}.${hostOctet}`],
    },
  ];
  const switches: VirtualSwitch[] = [];
  if (i !== 2) switches.push({ name: "Production", switchType: "External" });
  switches.push({ name: "Management", switchType: "External" });
  if (i % 2 === 0) switches.push({ name: "DMZ", switchType: "External" });
  if (i % 3 === 0) switches.push({ name: "Backup", switchType: "Internal" });
  const perf = (["COMPRESSION", "TCPIP", "SMB"] as const)[i % 3]!;
  // HV-A07's only migration network is a mistyped subnet holding none of its addresses.
  const networks =
    i === 6
      ? [{ subnet: "10.0.99.0/24", priority: 1 }]
      : i % 4 === 3
        ? []
        : [
            { subnet: `10.0.${subnetIndex}.0/24`, priority: 1 },
            ...(i % 2 === 0 ? [{ subnet: `192.168.${subnetIndex - 1}.0/24`, priority: 2 }] : []),
          ];

  const vms: Vm[] = [];
  let running = 0n;
  for (let v = 0; v < vmsPerHost; v++) {
    const vm = makeVm(vmCounter.k++, r, switches);
    if (vm.state === "RUNNING") running += vm.memoryAssignedBytes;
    vms.push(vm);
  }
  const baseCapacity = pick(r, [256n, 384n, 512n]) * GiB;
  // HV-A06 is nearly full: a big VM moved there fails with INSUFFICIENT_MEMORY.
  const capacity =
    i === 5
      ? running + HOST_RESERVE_BYTES + 4n * GiB
      : baseCapacity > running + HOST_RESERVE_BYTES
        ? baseCapacity
        : running + HOST_RESERVE_BYTES + 64n * GiB;

  return {
    facts: {
      name,
      fqdn: `${name}.${FLEET_DOMAIN}`,
      domain: FLEET_DOMAIN,
      cpuVendor: intel ? "INTEL" : "AMD",
      cpuModel: intel ? "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz" : "AMD EPYC 7302 16-Core Processor",
      logicalProcessorCount: pick(r, [32, 48, 64]),
      memoryCapacityBytes: capacity,
      supportedVmVersions: i === 7 ? ["5.0"] : SERVER_2016_VERSIONS,
      virtualMachinePath: "D:\\VMs",
      virtualHardDiskPath: "D:\\VMs",
    },
    settings: {
      enabled: i % 5 !== 4,
      authenticationType: i % 4 === 0 ? "KERBEROS" : "CREDSSP",
      performanceOption: perf,
      maximumVirtualMachineMigrations: i % 4 === 1 ? 4 : 2,
      maximumStorageMigrations: 2,
      useAnyNetworkForMigration: networks.length === 0 && i !== 6,
      networks,
    },
    switches,
    networkAdapters,
    firewallRules: firewallRules(i !== 3),
    volumes: [
      { root: "C:\\", freeBytes: 80n * GiB },
      { root: "D:\\", freeBytes: (i === 5 ? 50n : BigInt(intBetween(r, 800, 3000))) * GiB },
    ],
    vms,
  };
}

function makeVm(k: number, r: () => number, switches: VirtualSwitch[]): Vm {
  const name = vmName(k);
  const roll = r();
  const state: VmState = roll < 0.8 ? "RUNNING" : roll < 0.92 ? "OFF" : "SAVED";
  const memory = pick(r, [512n * MiB, 1n * GiB, 2n * GiB, 2n * GiB, 4n * GiB, 4n * GiB, 8n * GiB, 16n * GiB]);
  const generation = r() < 0.7 ? 2 : 1;
  const vr = r();
  const configurationVersion = vr < 0.7 ? "8.0" : vr < 0.85 ? "7.1" : "5.0";
  const path = r() < 0.6 ? `D:\\VMs\\${name}` : `${FLEET_SHARE}\\${name}`;
  const hardDrives: HardDrive[] = [
    { path: `${path}\\Virtual Hard Disks\\${name}.vhdx`, sizeBytes: BigInt(intBetween(r, 20, 120)) * GiB },
  ];
  if (r() < 0.3)
    hardDrives.push({
      path: `${path}\\Virtual Hard Disks\\${name}-data.vhdx`,
      sizeBytes: BigInt(intBetween(r, 50, 300)) * GiB,
    });
  // VMs use Production when their host has it; a few also sit on DMZ or Backup.
  const names = switches.map((s) => s.name);
  const switchNames = [names.includes("Production") ? "Production" : "Management"];
  const extra = names.filter((n) => n === "DMZ" || n === "Backup");
  if (extra.length > 0 && r() < 0.25) switchNames.push(pick(r, extra));
  const on = state === "RUNNING";
  return {
    vmId: guid(r),
    name,
    state,
    status: "Operating normally",
    cpuUsage: on ? intBetween(r, 1, 60) : 0,
    memoryAssignedBytes: on ? memory : 0n,
    memoryStartupBytes: memory,
    uptimeSeconds: on ? intBetween(r, 600, 60 * 86400) : 0,
    generation,
    configurationVersion,
    processorCompatibilityForMigration: r() < 0.2,
    path,
    hardDrives,
    switchNames,
  };
}

export function generateFleet(opts: {
  hosts: number;
  vmsPerHost?: number;
  seed: number;
  timeScale?: number;
}): WorldDefinition {
  const count = Math.max(0, Math.floor(opts.hosts));
  const vmsPerHost = Math.max(0, Math.floor(opts.vmsPerHost ?? 10));
  const counter = { k: 0 };
  const hosts: HostDefinition[] = [];
  for (let i = 0; i < count; i++) hosts.push(makeHost(i, opts.seed, vmsPerHost, counter));

  const delegations: Record<string, string[]> = {};
  hosts.forEach((h, i) => {
    if (h.settings.authenticationType !== "KERBEROS") {
      delegations[h.facts.name] = [];
      return;
    }
    const start = Math.floor(i / DELEGATION_GROUP) * DELEGATION_GROUP;
    const peers = hosts.slice(start, start + DELEGATION_GROUP).filter((p) => p !== h);
    // HV-A01 was set up halfway: cifs only, the migration service delegation is missing.
    delegations[h.facts.name] =
      i === 0 ? peers.map((p) => `cifs/${p.facts.name}`) : peers.flatMap((p) => delegationsTo(p.facts.name));
  });

  return {
    seed: opts.seed,
    timeScale: opts.timeScale ?? 1,
    hosts,
    sharedVolumes: [{ root: FLEET_SHARE, freeBytes: 20n * 1024n * GiB }],
    delegations,
  };
}
