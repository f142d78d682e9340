// Reading what the scripts print. The scripts emit explicit shapes (enum names, ISO dates, numbers),
// but a host may run Windows PowerShell 5.1, whose ConvertTo-Json writes enums as numbers and dates
// as "\/Date(ms)\/": every reader here accepts both.

import type {
  AuthenticationType,
  CompatibilityIssue,
  CpuVendor,
  FirewallRule,
  HardDrive,
  HostEvent,
  HostFacts,
  HyperVErrorInfo,
  Inventory,
  JobKind,
  JobState,
  JobStatus,
  MigrationNetwork,
  MigrationSettings,
  NetworkAdapter,
  PerformanceOption,
  PowerChange,
  VirtualSwitch,
  Vm,
  VmState,
  Volume,
} from "../types.ts";
import { HyperVError } from "../types.ts";
import { type RawPowerShellError, toErrorInfo } from "./errors.ts";

/** The line prefix of a script's result (see services/agent/ps/_common.ps1). */
export const RESULT_MARKER = "FERRY-RESULT:";

export type Envelope = { ok: true; data: unknown } | { ok: false; error: RawPowerShellError };

type Obj = Record<string, unknown>;

function unavailable(message: string): HyperVError {
  return new HyperVError("BACKEND_UNAVAILABLE", message);
}

/** Finds the last result line in a call's stdout; null when the script printed none. */
export function parseEnvelope(stdout: string): Envelope | null {
  const at = stdout.lastIndexOf(RESULT_MARKER);
  if (at < 0) return null;
  const rest = stdout.slice(at + RESULT_MARKER.length);
  const end = rest.search(/[\r\n]/);
  const json = end < 0 ? rest : rest.slice(0, end);
  let value: unknown;
  try {
    value = JSON.parse(json.trim());
  } catch {
    return null;
  }
  if (!isObj(value) || typeof value.ok !== "boolean") return null;
  if (value.ok) return { ok: true, data: value.data ?? null };
  return { ok: false, error: isObj(value.error) ? (value.error as RawPowerShellError) : {} };
}

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function obj(value: unknown, what: string): Obj {
  if (!isObj(value)) throw unavailable(`The PowerShell backend returned an unexpected ${what}.`);
  return value;
}

/** 5.1 writes a one-element collection as the element itself in some places; null is an empty list. */
export function asArray(value: unknown): unknown[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function str(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : String(value);
}

export function strOrNull(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = str(value);
  return text === "" ? null : text;
}

export function num(value: unknown): number {
  const n = typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : 0;
}

export function big(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isFinite(value)) return BigInt(Math.trunc(value));
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  return 0n;
}

export function bool(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  return /^(true|1|yes)$/i.test(str(value).trim());
}

/** ISO string, or 5.1's "/Date(ms)/" (the JSON escape "\/" is already gone after JSON.parse). */
export function isoDate(value: unknown): string {
  const text = str(value);
  const legacy = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(text);
  const date = legacy ? new Date(Number(legacy[1])) : new Date(text);
  return Number.isNaN(date.getTime()) ? new Date(0).toISOString() : date.toISOString();
}

const VM_STATES: Record<number, VmState> = {
  1: "OTHER",
  2: "RUNNING",
  3: "OFF",
  4: "STOPPING",
  6: "SAVED",
  9: "PAUSED",
  10: "STARTING",
  11: "OTHER",
  32773: "SAVING",
  32776: "PAUSING",
  32777: "RESUMING",
  32779: "SAVED",
  32780: "SAVING",
};
const VM_STATE_NAMES: Record<string, VmState> = {
  running: "RUNNING",
  off: "OFF",
  stopping: "STOPPING",
  saved: "SAVED",
  fastsaved: "SAVED",
  paused: "PAUSED",
  starting: "STARTING",
  saving: "SAVING",
  fastsaving: "SAVING",
  pausing: "PAUSING",
  resuming: "RESUMING",
};

export function vmState(value: unknown): VmState {
  if (typeof value === "number") return VM_STATES[value] ?? "OTHER";
  const text = str(value).trim();
  if (/^\d+$/.test(text)) return VM_STATES[Number(text)] ?? "OTHER";
  return VM_STATE_NAMES[text.toLowerCase()] ?? "OTHER";
}

/** save-vm.ps1 / stop-vm.ps1: { state, changed }. */
export function parsePowerChange(data: unknown): PowerChange {
  const o = (data ?? {}) as Obj;
  return { state: vmState(o.state), changed: bool(o.changed) };
}

export function authenticationType(value: unknown): AuthenticationType {
  const text = str(value).trim().toLowerCase();
  return text === "1" || text === "kerberos" ? "KERBEROS" : "CREDSSP";
}

export function performanceOption(value: unknown): PerformanceOption {
  const text = str(value).trim().toLowerCase();
  if (text === "0" || text === "tcpip") return "TCPIP";
  if (text === "2" || text === "smb" || text === "smbtransport") return "SMB";
  return "COMPRESSION";
}

export function switchType(value: unknown): VirtualSwitch["switchType"] {
  const text = str(value).trim().toLowerCase();
  if (text === "0" || text === "private") return "Private";
  if (text === "1" || text === "internal") return "Internal";
  return "External";
}

/** NetSecurity.Enabled: True=1, False=2 (or the names, or a boolean). */
export function firewallEnabled(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const text = str(value).trim().toLowerCase();
  return text === "1" || text === "true";
}

export function cpuVendor(manufacturer: unknown): CpuVendor {
  const text = str(manufacturer).toLowerCase();
  if (text.includes("intel")) return "INTEL";
  if (text.includes("amd")) return "AMD";
  return "OTHER";
}

function eventLevel(value: unknown): HostEvent["level"] {
  const text = str(value).trim().toLowerCase();
  if (text === "error" || text === "1" || text === "2") return "Error";
  if (text === "warning" || text === "3") return "Warning";
  return "Information";
}

export function parseInventory(data: unknown): Inventory {
  const root = obj(data, "inventory");
  const h = obj(root.host, "host");
  const s = obj(root.settings, "settings");
  const host: HostFacts = {
    name: str(h.name),
    fqdn: strOrNull(h.fqdn),
    domain: strOrNull(h.domain),
    cpuVendor: cpuVendor(h.cpuManufacturer),
    cpuModel: str(h.cpuModel),
    logicalProcessorCount: num(h.logicalProcessorCount),
    memoryCapacityBytes: big(h.memoryCapacityBytes),
    memoryAvailableBytes: big(h.memoryAvailableBytes),
    supportedVmVersions: asArray(h.supportedVmVersions).map(str),
    virtualMachinePath: str(h.virtualMachinePath),
    virtualHardDiskPath: str(h.virtualHardDiskPath),
    delegations:
      h.delegations === null || h.delegations === undefined ? null : asArray(h.delegations).map(str),
  };
  const networks: MigrationNetwork[] = asArray(s.networks).map((n) => {
    const o = obj(n, "migration network");
    return {
      subnet: str(o.subnet),
      priority: o.priority === null || o.priority === undefined ? null : num(o.priority),
    };
  });
  const settings: MigrationSettings = {
    enabled: bool(s.enabled),
    authenticationType: authenticationType(s.authenticationType),
    performanceOption: performanceOption(s.performanceOption),
    maximumVirtualMachineMigrations: num(s.maximumVirtualMachineMigrations),
    maximumStorageMigrations: num(s.maximumStorageMigrations),
    useAnyNetworkForMigration: bool(s.useAnyNetworkForMigration),
    networks,
  };
  const switches: VirtualSwitch[] = asArray(root.switches).map((v) => {
    const o = obj(v, "switch");
    return { name: str(o.name), switchType: switchType(o.switchType) };
  });
  const networkAdapters: NetworkAdapter[] = asArray(root.networkAdapters).map((v) => {
    const o = obj(v, "network adapter");
    return {
      name: str(o.name),
      linkSpeedBps: big(o.linkSpeedBps),
      rdmaCapable: bool(o.rdmaCapable),
      ipAddresses: asArray(o.ipAddresses).map(str),
    };
  });
  const firewallRules: FirewallRule[] = asArray(root.firewallRules).map((v) => {
    const o = obj(v, "firewall rule");
    return {
      name: str(o.name),
      displayName: str(o.displayName),
      enabled: firewallEnabled(o.enabled),
      protocol: str(o.protocol),
      localPort: str(o.localPort),
    };
  });
  const volumes: Volume[] = asArray(root.volumes).map((v) => {
    const o = obj(v, "volume");
    return { root: str(o.root), freeBytes: big(o.freeBytes) };
  });
  return {
    host,
    settings,
    switches,
    networkAdapters,
    firewallRules,
    volumes,
    vms: asArray(root.vms).map(parseVm),
  };
}

export function parseVm(value: unknown): Vm {
  const o = obj(value, "VM");
  const hardDrives: HardDrive[] = asArray(o.hardDrives).map((d) => {
    const drive = obj(d, "hard drive");
    return { path: str(drive.path), sizeBytes: big(drive.sizeBytes) };
  });
  return {
    vmId: str(o.vmId).toLowerCase(),
    name: str(o.name),
    state: vmState(o.state),
    status: strOrNull(o.status),
    cpuUsage: num(o.cpuUsage),
    memoryAssignedBytes: big(o.memoryAssignedBytes),
    memoryStartupBytes: big(o.memoryStartupBytes),
    uptimeSeconds: uptimeSeconds(o.uptimeSeconds),
    generation: num(o.generation),
    configurationVersion: str(o.configurationVersion),
    processorCompatibilityForMigration: bool(o.processorCompatibilityForMigration),
    isClustered: bool(o.isClustered),
    path: str(o.path),
    hardDrives,
    switchNames: asArray(o.switchNames).map(str),
  };
}

/** Seconds, or a 5.1 TimeSpan object ({ TotalSeconds }). */
function uptimeSeconds(value: unknown): number {
  if (isObj(value)) return Math.floor(num(value.TotalSeconds));
  return Math.floor(num(value));
}

export function parseCompatibility(data: unknown): CompatibilityIssue[] {
  return asArray(data).map((v) => {
    const o = obj(v, "compatibility issue");
    return { message: str(o.message), messageId: num(o.messageId), source: strOrNull(o.source) };
  });
}

function jobKind(jobType: unknown): JobKind {
  switch (num(jobType)) {
    case 306:
      return "LIVE_WITH_STORAGE";
    case 307:
      return "STORAGE";
    default:
      return "LIVE";
  }
}

/** Msvm_MigrationJob JobState: New=2 .. ShuttingDown=6 run; Completed=7; Terminated=8/Killed=9; Exception=10. */
function jobState(state: number, errorCode: number): JobState {
  if (state === 7) return errorCode === 0 ? "COMPLETED" : "FAILED";
  if (state === 8 || state === 9) return "CANCELLED";
  if (state === 10) return "FAILED";
  return "RUNNING";
}

const JOB_STATE_NAMES: Record<string, number> = {
  new: 2,
  starting: 3,
  running: 4,
  suspended: 5,
  shuttingdown: 6,
  completed: 7,
  terminated: 8,
  killed: 9,
  exception: 10,
};

function jobError(state: JobState, description: string | null, errorCode: number): HyperVErrorInfo | null {
  if (state === "CANCELLED") {
    return { code: "CANCELLED", message: description ?? "The migration was cancelled.", eventId: 21502 };
  }
  if (state !== "FAILED") return null;
  return toErrorInfo({ message: description ?? `Hyper-V error code ${errorCode}.` });
}

export function parseJob(value: unknown): JobStatus {
  const o = obj(value, "migration job");
  const rawState = o.jobState;
  const stateNumber =
    typeof rawState === "string" && !/^\d+$/.test(rawState)
      ? (JOB_STATE_NAMES[rawState.toLowerCase()] ?? 4)
      : num(rawState);
  const errorCode = num(o.errorCode);
  const state = jobState(stateNumber, errorCode);
  const percent = Math.max(0, Math.min(100, Math.floor(num(o.percentComplete))));
  return {
    jobId: str(o.jobId),
    kind: jobKind(o.jobType),
    vmId: str(o.vmId).toLowerCase(),
    state,
    percentComplete: state === "COMPLETED" ? 100 : percent,
    error: jobError(state, strOrNull(o.errorDescription), errorCode),
  };
}

export function parseJobs(data: unknown): JobStatus[] {
  return asArray(data).map(parseJob);
}

export function parseEvents(data: unknown): HostEvent[] {
  return asArray(data).map((v) => {
    const o = obj(v, "event");
    return {
      recordId: num(o.recordId),
      eventId: num(o.eventId),
      level: eventLevel(o.level),
      timeCreated: isoDate(o.timeCreated),
      message: str(o.message),
      vmName: strOrNull(o.vmName),
    };
  });
}
