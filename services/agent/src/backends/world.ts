// A world of Hyper-V hosts as plain data: the fixture format shared by the simulator
// (SimWorld.create) and the PowerShell stub module (test/stub-hyperv, which keeps the same document
// as its state file). The contract suite builds one definition and hands it to both backends.
import type {
  FirewallRule,
  HostFacts,
  MigrationSettings,
  NetworkAdapter,
  VirtualSwitch,
  Vm,
} from "./types.ts";

/** A storage root on a host ("D:\\VMs") or shared by all hosts ("\\\\fs1\\vms", "C:\\ClusterStorage\\Volume1"). */
export interface VolumeDefinition {
  root: string;
  freeBytes: bigint;
}

export interface HostDefinition {
  facts: Omit<HostFacts, "memoryAvailableBytes" | "delegations">;
  settings: MigrationSettings;
  switches: VirtualSwitch[];
  networkAdapters: NetworkAdapter[];
  firewallRules: FirewallRule[];
  /** Local volumes: paths under them exist only on this host. */
  volumes: VolumeDefinition[];
  vms: Vm[];
}

export interface WorldDefinition {
  /** Seed of every random choice the simulator makes (jitter, progress noise). */
  seed: number;
  /** Simulated seconds per real second: 1 is real time, 60 makes a 70 s move take about a second. */
  timeScale: number;
  hosts: HostDefinition[];
  /** Volumes reachable from every host (SMB shares, cluster shared volumes). */
  sharedVolumes: VolumeDefinition[];
  /** The simulated Active Directory: msDS-AllowedToDelegateTo per host name. Hosts absent here cannot read theirs (null). */
  delegations: Record<string, string[]>;
}

/** JSON with bigints as decimal strings, so a definition can be written to a file and read back. */
export function worldToJson(world: WorldDefinition): string {
  return JSON.stringify(world, (_key, value) => (typeof value === "bigint" ? value.toString() : value), 2);
}

const BIGINT_KEYS = new Set([
  "memoryCapacityBytes",
  "memoryAssignedBytes",
  "memoryStartupBytes",
  "sizeBytes",
  "freeBytes",
  "linkSpeedBps",
]);

export function worldFromJson(text: string): WorldDefinition {
  return JSON.parse(text, (key, value) =>
    BIGINT_KEYS.has(key) && (typeof value === "string" || typeof value === "number") ? BigInt(value) : value,
  ) as WorldDefinition;
}
