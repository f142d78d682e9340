// Preflight: every check that would block (FAIL) or slow (WARN) a move, from the stored inventory
// plus the source agent's Compare-VM report. Each Hyper-V rule is decided by @ferry/hyperv (the same
// functions readiness and the simulator use; docs/hyperv.md). Pure: the caller loads the data.

import {
  type HostFacts,
  isSharedPath,
  isWindowsPath,
  liveMoveRules,
  type RuleVerdict,
  storagePaths,
  storageReachable,
  storageRoom,
  type Verdict,
  type VmFacts,
  vmState,
} from "@ferry/hyperv";
import { encodeGlobalID } from "@pothos/plugin-relay";

export { isSharedPath, isWindowsPath };
export type CheckStatus = "PASS" | "WARN" | "FAIL";

export interface PreflightCheck {
  name: string;
  status: CheckStatus;
  message: string;
  remedy: string | null;
  /** The Migration failure code Hyper-V would produce if the move ran anyway; null on PASS. */
  code: string | null;
}

export interface PreflightReport {
  ok: boolean;
  checks: PreflightCheck[];
}

export interface HostView {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  cpuVendor: string;
  memoryAvailableBytes: bigint;
  supportedVmVersions: string[];
  delegations: string[];
  delegationsKnown: boolean;
  agentConnected: boolean;
  settings: {
    enabled: boolean;
    authenticationType: string;
    performanceOption: string;
    useAnyNetworkForMigration: boolean;
  } | null;
  /** Get-VMMigrationNetwork subnets. */
  migrationSubnets: string[];
  /** Every adapter address of the host. */
  adapterAddresses: string[];
  switches: string[];
  firewallRules: { name: string; enabled: boolean }[];
  /** Local volumes with a drive letter and their free bytes (Get-Volume). */
  volumes: { root: string; freeBytes: bigint }[];
}

export interface VmView {
  name: string;
  state: string;
  memoryAssignedBytes: bigint;
  memoryStartupBytes: bigint;
  configurationVersion: string;
  processorCompatibilityForMigration: boolean;
  isClustered: boolean;
  path: string;
  hardDrives: { path: string; sizeBytes: bigint }[];
  switchNames: string[];
}

export interface MoveRequest {
  kind: "LIVE" | "LIVE_WITH_STORAGE" | "STORAGE";
  destinationStoragePath: string | null;
  vhdDestinations: string[];
  /** For per-disk moves: which disks move (their source paths). */
  vhdSources?: string[];
}

type Outcome = Omit<Verdict, "code"> & { code: string | null };

const check = (name: string, v: Outcome): PreflightCheck => ({
  name,
  status: v.status,
  message: v.message,
  remedy: v.remedy,
  code: v.code,
});

/** The rule inputs of a stored host; unreported settings count as Hyper-V's defaults (disabled, CredSSP). */
export function hostFacts(h: HostView): HostFacts {
  return {
    name: h.name,
    apiId: encodeGlobalID("Host", h.id),
    fqdn: h.fqdn,
    domain: h.domain,
    cpuVendor: h.cpuVendor,
    migrationEnabled: h.settings?.enabled ?? false,
    authenticationType: h.settings?.authenticationType ?? "CREDSSP",
    performanceOption: h.settings?.performanceOption ?? "COMPRESSION",
    useAnyNetworkForMigration: h.settings?.useAnyNetworkForMigration ?? true,
    migrationSubnets: h.migrationSubnets,
    adapterAddresses: h.adapterAddresses,
    delegations: h.delegationsKnown ? h.delegations : null,
    switches: h.switches,
    firewallRules: h.firewallRules,
    memoryAvailableBytes: h.memoryAvailableBytes,
    supportedVmVersions: h.supportedVmVersions,
  };
}

export function vmFacts(vm: VmView): VmFacts {
  return vm;
}

/** Preflight's name for each rule verdict (stable names clients match on). */
function nameOf(v: RuleVerdict): string {
  switch (v.rule) {
    case "migrationEnabled":
      return `migration enabled ${v.host}`;
    case "migrationNetwork":
      return `migration network ${v.host}`;
    case "authenticationTypes":
      return "authentication types";
    case "sameDomain":
      return "domain";
    case "firewall":
      return v.host === "FPS-SMB-In-TCP" ? "firewall SMB" : "firewall live migration";
    case "configurationVersion":
      return "configuration version";
    default:
      return v.rule;
  }
}

function liveChecks(vm: VmView, source: HostView, dest: HostView, request: MoveRequest): PreflightCheck[] {
  const verdicts = liveMoveRules(vmFacts(vm), hostFacts(source), hostFacts(dest), {
    smbTransport: source.settings?.performanceOption === "SMB",
    copiesStorage: request.kind === "LIVE_WITH_STORAGE",
  });
  return verdicts.map((v) => check(nameOf(v), v));
}

function agentChecks(hosts: HostView[]): PreflightCheck[] {
  return hosts.map((host) =>
    host.agentConnected
      ? check(`agent ${host.name}`, {
          status: "PASS",
          message: `The agent of ${host.name} is connected.`,
          remedy: null,
          code: null,
        })
      : check(`agent ${host.name}`, {
          status: "FAIL",
          message: `The agent of ${host.name} is not connected.`,
          remedy: `Start the Ferry agent on ${host.name} and check it reaches the API.`,
          code: "AGENT_LOST",
        }),
  );
}

/**
 * The hosts whose agents take part in a move: the source and, for a live move to another host, the
 * destination. Preflight checks their agents; the scheduler starts a move only while they are live.
 */
export function participantHostIds(m: {
  kind: string;
  sourceHostId: string;
  destinationHostId: string | null;
}): string[] {
  return m.kind !== "STORAGE" && m.destinationHostId && m.destinationHostId !== m.sourceHostId
    ? [m.sourceHostId, m.destinationHostId]
    : [m.sourceHostId];
}

function participants(source: HostView, dest: HostView | null, request: MoveRequest): HostView[] {
  const ids = participantHostIds({
    kind: request.kind,
    sourceHostId: source.id,
    destinationHostId: dest?.id ?? null,
  });
  return ids.map((id) => (id === source.id ? source : dest!));
}

function destinationCheck(vm: VmView, source: HostView, dest: HostView | null): PreflightCheck {
  const v = (status: CheckStatus, message: string, remedy: string | null): PreflightCheck => ({
    name: "destination",
    status,
    message,
    remedy,
    code: status === "FAIL" ? "INVALID_PARAMETER" : null,
  });
  if (!dest) return v("FAIL", "No destination host given.", "Pass destinationHost.");
  if (dest.id === source.id)
    return v("FAIL", `${vm.name} is already on ${dest.name}.`, "Choose another destination host.");
  return v("PASS", `${source.name} → ${dest.name}.`, null);
}

/**
 * The checks that depend on host state (agents, enabled, network, authentication, firewall,
 * processor, version, switches, memory, room): what the scheduler re-runs just before a queued move
 * starts. A FAIL here ends the move FAILED with the check's code, message and remedy.
 */
export function startChecks(
  vm: VmView,
  source: HostView,
  dest: HostView | null,
  request: MoveRequest,
): PreflightReport {
  const checks = agentChecks(participants(source, dest, request));
  if (request.kind !== "STORAGE" && dest && dest.id !== source.id) {
    checks.push(...liveChecks(vm, source, dest, request).filter((c) => c.name !== "clustered"));
  }
  if (request.kind !== "LIVE")
    checks.push(...roomChecks(vm, request, request.kind === "STORAGE" ? source : dest));
  return { ok: checks.every((c) => c.status !== "FAIL"), checks };
}

export function runPreflight(
  vm: VmView,
  source: HostView,
  dest: HostView | null,
  request: MoveRequest,
  compare: { issues: { message: string; messageId: number }[] } | "unavailable" | null,
): PreflightReport {
  const live = request.kind !== "STORAGE";
  const checks: PreflightCheck[] = [];
  if (live) checks.push(destinationCheck(vm, source, dest));
  checks.push(...agentChecks(participants(source, dest, request)));
  const state = vmState(vm);
  if (state.status !== "PASS") checks.push(check("vm state", state));
  if (live && dest && dest.id !== source.id) checks.push(...liveChecks(vm, source, dest, request));
  checks.push(...storageChecks(vm, request, live ? dest : source));
  checks.push(...compareChecks(compare));
  return { ok: checks.every((c) => c.status !== "FAIL"), checks };
}

function compareChecks(
  compare: { issues: { message: string; messageId: number }[] } | "unavailable" | null,
): PreflightCheck[] {
  if (compare === null) return [];
  if (compare === "unavailable") {
    return [
      check("compare-vm", {
        status: "WARN",
        message: "The source agent did not answer Compare-VM in time.",
        remedy: "Check the source agent; the move will still report Hyper-V's own errors.",
        code: null,
      }),
    ];
  }
  return [
    compare.issues.length === 0
      ? check("compare-vm", {
          status: "PASS",
          message: "Compare-VM reports no incompatibility.",
          remedy: null,
          code: null,
        })
      : check("compare-vm", {
          status: "FAIL",
          message: compare.issues.map((i) => `${i.message} (${i.messageId})`).join(" "),
          remedy: "Resolve the incompatibilities Compare-VM lists.",
          code: null,
        }),
  ];
}

function targetsOf(request: MoveRequest): string[] {
  return request.destinationStoragePath ? [request.destinationStoragePath] : request.vhdDestinations;
}

function storageChecks(vm: VmView, request: MoveRequest, target: HostView | null): PreflightCheck[] {
  if (request.kind === "LIVE") return [check("storage", storageReachable(vm))];
  const paths = storagePaths(targetsOf(request));
  if (paths.status === "FAIL") return [check("storage path", paths)];
  return [check("storage path", paths), ...roomChecks(vm, request, target)];
}

/** The destination folder's volume exists on the host that receives the files, and holds the disks that move. */
function roomChecks(vm: VmView, request: MoveRequest, target: HostView | null): PreflightCheck[] {
  const targets = targetsOf(request);
  if (targets.length === 0 || !targets.every(isWindowsPath)) return [];
  const moving = request.vhdSources?.length
    ? vm.hardDrives.filter((d) => request.vhdSources!.some((s) => s.toLowerCase() === d.path.toLowerCase()))
    : vm.hardDrives;
  const needed = moving.reduce((sum, d) => sum + d.sizeBytes, 0n);
  const folder = targets.every(isSharedPath)
    ? targets[0]!
    : (targets.find((t) => !isSharedPath(t)) ?? targets[0]!);
  return [check("storage room", storageRoom(target, folder, needed))];
}
