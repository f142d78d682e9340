// The one Hyper-V interface. Two implementations: simulator/ (demo, tests, load) and powershell/
// (real hosts). Everything above this file is tested against the simulator; the contract suite in
// test/contract holds both implementations to the same behaviour.
import type { HyperVErrorCode } from "@ferry/protocol";

export type CpuVendor = "INTEL" | "AMD" | "OTHER";
export type VmState =
  | "RUNNING"
  | "OFF"
  | "SAVED"
  | "PAUSED"
  | "STARTING"
  | "STOPPING"
  | "SAVING"
  | "PAUSING"
  | "RESUMING"
  | "OTHER";
export type AuthenticationType = "CREDSSP" | "KERBEROS";
export type PerformanceOption = "TCPIP" | "COMPRESSION" | "SMB";

/** Get-VMHost plus what the host knows about itself. Sizes are bytes. */
export interface HostFacts {
  name: string;
  fqdn: string | null;
  /** AD domain, null for a workgroup host. */
  domain: string | null;
  cpuVendor: CpuVendor;
  cpuModel: string;
  logicalProcessorCount: number;
  memoryCapacityBytes: bigint;
  memoryAvailableBytes: bigint;
  /** e.g. ["5.0","6.2","7.0","7.1","8.0"] on Server 2016. */
  supportedVmVersions: string[];
  virtualMachinePath: string;
  virtualHardDiskPath: string;
  /** msDS-AllowedToDelegateTo of the host's AD computer object; null when it cannot be read. */
  delegations: string[] | null;
}

export interface MigrationNetwork {
  /** IPv4 or IPv6 CIDR. */
  subnet: string;
  priority: number | null;
}

export interface MigrationSettings {
  enabled: boolean;
  authenticationType: AuthenticationType;
  performanceOption: PerformanceOption;
  maximumVirtualMachineMigrations: number;
  maximumStorageMigrations: number;
  useAnyNetworkForMigration: boolean;
  networks: MigrationNetwork[];
}

export interface VirtualSwitch {
  name: string;
  switchType: "External" | "Internal" | "Private";
}

export interface NetworkAdapter {
  name: string;
  linkSpeedBps: bigint;
  rdmaCapable: boolean;
  ipAddresses: string[];
}

/** Get-NetFirewallRule; match on `name` (DisplayName is localized). */
export interface FirewallRule {
  name: string;
  displayName: string;
  enabled: boolean;
  protocol: string;
  localPort: string;
}

/** A local volume with a drive letter (Get-Volume): where moved storage can land, and its room. */
export interface Volume {
  /** "D:\\" */
  root: string;
  freeBytes: bigint;
}

export interface HardDrive {
  path: string;
  sizeBytes: bigint;
}

/** Get-VM and friends. `vmId` is Hyper-V's GUID: the stable identity across moves. */
export interface Vm {
  vmId: string;
  name: string;
  state: VmState;
  status: string | null;
  cpuUsage: number;
  memoryAssignedBytes: bigint;
  memoryStartupBytes: bigint;
  uptimeSeconds: number;
  generation: number;
  configurationVersion: string;
  processorCompatibilityForMigration: boolean;
  /** Folder of the VM's configuration. */
  path: string;
  hardDrives: HardDrive[];
  switchNames: string[];
  /** Get-VM IsClustered: a highly available VM, moved through its cluster. Absent (older agents) = false. */
  isClustered?: boolean;
}

/** Everything the agent reports about its host in one go. */
export interface Inventory {
  host: HostFacts;
  settings: MigrationSettings;
  switches: VirtualSwitch[];
  networkAdapters: NetworkAdapter[];
  firewallRules: FirewallRule[];
  volumes: Volume[];
  vms: Vm[];
}

/** Typed Hyper-V failure codes, the same from both backends (the protocol's list: @ferry/protocol). */
export type { HyperVErrorCode } from "@ferry/protocol";

/** What a backend throws for an expected Hyper-V failure. */
export class HyperVError extends Error {
  override readonly name = "HyperVError";
  constructor(
    readonly code: HyperVErrorCode,
    message: string,
    /** Hyper-V-VMMS-Admin event id, when Hyper-V logs one (21502, 21125, 20413, 21501 ...). */
    readonly eventId: number | null = null,
  ) {
    super(message);
  }
}

export interface HyperVErrorInfo {
  code: HyperVErrorCode;
  message: string;
  eventId: number | null;
}

export interface CompatibilityIssue {
  message: string;
  messageId: number;
  source: string | null;
}

export type JobKind = "LIVE" | "LIVE_WITH_STORAGE" | "STORAGE";
export type JobState = "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";

export interface MoveVmRequest {
  vmId: string;
  destinationHost: string;
  includeStorage: boolean;
  /** Required with includeStorage. */
  destinationStoragePath: string | null;
}

export interface VhdMove {
  sourcePath: string;
  destinationPath: string;
}

/** Either destinationStoragePath (whole VM) or vhds (per disk). */
export interface MoveStorageRequest {
  vmId: string;
  destinationStoragePath: string | null;
  vhds: VhdMove[] | null;
}

/** A move running inside Hyper-V (Msvm_MigrationJob). It keeps running when the agent is gone. */
export interface JobStatus {
  jobId: string;
  kind: JobKind;
  vmId: string;
  state: JobState;
  /** 0-100, never decreasing. */
  percentComplete: number;
  error: HyperVErrorInfo | null;
}

/** One Microsoft-Windows-Hyper-V-VMMS-Admin record. recordId grows per host. */
export interface HostEvent {
  recordId: number;
  eventId: number;
  level: "Information" | "Warning" | "Error";
  timeCreated: string;
  message: string;
  vmName: string | null;
}

export interface HostSettingsChange {
  authenticationType?: AuthenticationType;
  performanceOption?: PerformanceOption;
  maximumVirtualMachineMigrations?: number;
  maximumStorageMigrations?: number;
  useAnyNetworkForMigration?: boolean;
}

/** What Save-VM / Stop-VM left: the VM's state, and whether this call changed it (false: already so). */
export interface PowerChange {
  state: VmState;
  changed: boolean;
}

/**
 * A Hyper-V host as the agent sees it. Every method throws HyperVError for Hyper-V's own failures
 * (never a raw Error with PowerShell text) and is safe for any string in its arguments.
 */
export interface HyperVBackend {
  readonly kind: "simulator" | "powershell";
  getInventory(): Promise<Inventory>;
  enableMigration(): Promise<void>;
  disableMigration(): Promise<void>;
  /** Throws NETWORK_EXISTS if the subnet is already a migration network. */
  addMigrationNetwork(network: MigrationNetwork): Promise<void>;
  /** Throws NETWORK_NOT_FOUND if the subnet is not a migration network. */
  setMigrationNetworkPriority(network: MigrationNetwork): Promise<void>;
  removeMigrationNetwork(subnet: string): Promise<void>;
  setHostSettings(change: HostSettingsChange): Promise<void>;
  /** Throws INVALID_VM_STATE unless the VM is Off (Set-VMProcessor; docs/hyperv.md "Processor"). */
  setProcessorCompatibility(vmId: string, enabled: boolean): Promise<void>;
  /**
   * Save-VM: a Running or Paused VM becomes Saved and frees its memory. Saved or Off already: nothing
   * is done (changed false). VM_NOT_FOUND off this host; INVALID_VM_STATE while it moves or changes state.
   */
  saveVm(vmId: string): Promise<PowerChange>;
  /**
   * Stop-VM without -Force or -TurnOff: the guest shuts down (Off, memory freed). A guest that does not
   * answer is never turned off: SHUTDOWN_UNAVAILABLE, the VM keeps running. Off or Saved already:
   * nothing is done (changed false). VM_NOT_FOUND, INVALID_VM_STATE as saveVm.
   */
  stopVm(vmId: string): Promise<PowerChange>;
  /** Compare-VM: what would stop this VM from moving to that host. */
  compareVm(vmId: string, destinationHost: string): Promise<CompatibilityIssue[]>;
  /** Starts Move-VM as a job. Failures at start (disabled, limit, auth) throw; later ones end the job FAILED. */
  startMoveVm(request: MoveVmRequest): Promise<JobStatus>;
  startMoveStorage(request: MoveStorageRequest): Promise<JobStatus>;
  /** Throws JOB_NOT_FOUND for an unknown job. */
  getJob(jobId: string): Promise<JobStatus>;
  /** Every job this host knows about, finished ones included (for reconciling after a restart). */
  listJobs(): Promise<JobStatus[]>;
  /** Requests termination; the job ends CANCELLED, or COMPLETED if it finished first. */
  cancelJob(jobId: string): Promise<void>;
  /** Events with recordId > afterRecordId (all when null), oldest first, at most `max`. */
  readEvents(afterRecordId: number | null, max: number): Promise<HostEvent[]>;
  close(): Promise<void>;
}
