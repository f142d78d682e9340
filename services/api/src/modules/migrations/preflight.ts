// Preflight: every check that would block (FAIL) or slow (WARN) a move, from the stored inventory
// plus the source agent's Compare-VM report. Pure: the caller loads the data.
export type CheckStatus = "PASS" | "WARN" | "FAIL";

export interface PreflightCheck {
  name: string;
  status: CheckStatus;
  message: string;
  remedy: string | null;
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
  settings: { enabled: boolean; authenticationType: string; performanceOption: string } | null;
  switches: string[];
  firewallRules: { name: string; enabled: boolean }[];
  /** Local volumes with a drive letter and their free bytes (Get-Volume). */
  volumes: { root: string; freeBytes: bigint }[];
}

export interface VmView {
  name: string;
  state: string;
  memoryAssignedBytes: bigint;
  configurationVersion: string;
  processorCompatibilityForMigration: boolean;
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

export const MIGRATION_RULE = "VIRT-MIGL-In-TCP-NoScope";
export const SMB_RULE = "FPS-SMB-In-TCP";

/** A Windows absolute path (D:\VMs\x) or a UNC path (\\server\share\x), without characters Windows forbids. */
export function isWindowsPath(path: string): boolean {
  return (
    (/^[A-Za-z]:\\/.test(path) || /^\\\\[^\\]+\\[^\\]+/.test(path)) &&
    !/[<>"|?*]/.test(path.slice(2)) &&
    ![...path].some((c) => c.charCodeAt(0) < 32) &&
    path.length <= 260
  );
}

/** Storage every host reaches: SMB shares and cluster shared volumes. */
export function isSharedPath(path: string): boolean {
  return path.startsWith("\\\\") || /^[A-Za-z]:\\ClusterStorage\\/i.test(path);
}

const pass = (name: string, message: string): PreflightCheck => ({
  name,
  status: "PASS",
  message,
  remedy: null,
});
const warn = (name: string, message: string, remedy: string): PreflightCheck => ({
  name,
  status: "WARN",
  message,
  remedy,
});
const fail = (name: string, message: string, remedy: string): PreflightCheck => ({
  name,
  status: "FAIL",
  message,
  remedy,
});

function delegationChecks(source: HostView, dest: HostView): PreflightCheck {
  const name = "authentication";
  const auth = source.settings?.authenticationType ?? "CREDSSP";
  if (auth === "CREDSSP") {
    return pass(name, `CredSSP: valid because the Ferry agent starts the move on ${source.name}.`);
  }
  const targets = [dest.name, dest.fqdn].filter(Boolean).map((n) => n!.toLowerCase());
  const has = (service: string) =>
    source.delegations.some((d) => targets.some((t) => d.toLowerCase() === `${service}/${t}`));
  const remedy = `Configure constrained delegation from ${source.name} to ${dest.name} (query delegationPlan), then refresh tickets (klist purge -li 0x3e7).`;
  if (!source.delegationsKnown) {
    return warn(
      name,
      `Kerberos: ${source.name}'s delegation entries could not be read; the move fails if cifs and Microsoft Virtual System Migration Service delegation to ${dest.name} is missing.`,
      remedy,
    );
  }
  const missing = ["cifs", "Microsoft Virtual System Migration Service"].filter((s) => !has(s));
  if (missing.length)
    return fail(
      name,
      `Kerberos: ${source.name} lacks constrained delegation to ${dest.name} for ${missing.join(" and ")}.`,
      remedy,
    );
  return pass(
    name,
    `Kerberos: ${source.name} may delegate to ${dest.name} (cifs and Microsoft Virtual System Migration Service).`,
  );
}

function firewallCheck(host: HostView, rule: string, label: string): PreflightCheck {
  const found = host.firewallRules.find((r) => r.name === rule);
  const remedy = `Enable-NetFirewallRule -Name ${rule} on ${host.name}.`;
  if (!found)
    return warn(
      `firewall ${label}`,
      `${host.name} reports no firewall rule ${rule}; make sure the port is open.`,
      remedy,
    );
  if (!found.enabled)
    return fail(
      `firewall ${label}`,
      `The ${label} firewall rule ${rule} is disabled on ${host.name}.`,
      remedy,
    );
  return pass(`firewall ${label}`, `${rule} is enabled on ${host.name}.`);
}

export function runPreflight(
  vm: VmView,
  source: HostView,
  dest: HostView | null,
  request: MoveRequest,
  compare: { issues: { message: string; messageId: number }[] } | "unavailable" | null,
): PreflightReport {
  const checks: PreflightCheck[] = [];
  const live = request.kind !== "STORAGE";
  const withStorage = request.kind !== "LIVE";
  const target = live ? dest : source;

  if (live) {
    if (!dest) checks.push(fail("destination", "No destination host given.", "Pass destinationHost."));
    else if (dest.id === source.id)
      checks.push(
        fail("destination", `${vm.name} is already on ${dest.name}.`, "Choose another destination host."),
      );
    else checks.push(pass("destination", `${source.name} → ${dest.name}.`));
  }
  for (const host of live && dest && dest.id !== source.id ? [source, dest] : [source]) {
    checks.push(
      host.agentConnected
        ? pass(`agent ${host.name}`, `The agent of ${host.name} is connected.`)
        : fail(
            `agent ${host.name}`,
            `The agent of ${host.name} is not connected.`,
            `Start the Ferry agent on ${host.name} and check it reaches the API.`,
          ),
    );
  }
  if (["STARTING", "STOPPING", "SAVING", "PAUSING", "RESUMING", "OTHER"].includes(vm.state)) {
    checks.push(
      fail(
        "vm state",
        `${vm.name} is ${vm.state.toLowerCase()}.`,
        "Wait until the VM is running, off or saved.",
      ),
    );
  }
  if (live && dest && dest.id !== source.id) {
    for (const host of [source, dest]) {
      checks.push(
        host.settings?.enabled
          ? pass(`migration enabled ${host.name}`, `Live migration is enabled on ${host.name}.`)
          : fail(
              `migration enabled ${host.name}`,
              `Live migration is not enabled on ${host.name}.`,
              `enableMigration(hosts: ["${host.id}"]) (Enable-VMMigration) on ${host.name}.`,
            ),
      );
    }
    checks.push(delegationChecks(source, dest));
    const sameDomain =
      source.domain && dest.domain && source.domain.toLowerCase() === dest.domain.toLowerCase();
    checks.push(
      sameDomain
        ? pass("domain", `Both hosts are in ${source.domain}.`)
        : warn(
            "domain",
            `${source.name} (${source.domain ?? "workgroup"}) and ${dest.name} (${dest.domain ?? "workgroup"}) are not in the same domain.`,
            "Join both hosts to the same domain, or configure constrained delegation between them.",
          ),
    );
    const missingSwitches = vm.switchNames.filter((s) => !dest.switches.includes(s));
    checks.push(
      missingSwitches.length
        ? fail(
            "switches",
            `${dest.name} has no virtual switch ${missingSwitches.map((s) => `'${s}'`).join(", ")}.`,
            `Create the switch on ${dest.name} (New-VMSwitch) or connect the VM to a switch both hosts have.`,
          )
        : pass("switches", `${dest.name} has every switch the VM uses.`),
    );
    if (vm.state === "RUNNING" || vm.state === "PAUSED") {
      checks.push(
        dest.memoryAvailableBytes >= vm.memoryAssignedBytes
          ? pass(
              "memory",
              `${dest.name} has ${gib(dest.memoryAvailableBytes)} free for ${gib(vm.memoryAssignedBytes)}.`,
            )
          : fail(
              "memory",
              `${dest.name} has ${gib(dest.memoryAvailableBytes)} free; the VM needs ${gib(vm.memoryAssignedBytes)}.`,
              "Free memory on the destination or choose another host.",
            ),
      );
    }
    const vendorsDiffer = source.cpuVendor !== dest.cpuVendor;
    if (vendorsDiffer && !vm.processorCompatibilityForMigration && vm.state !== "OFF") {
      checks.push(
        fail(
          "processor",
          `${source.name} is ${source.cpuVendor} and ${dest.name} is ${dest.cpuVendor}; ${vm.name} runs without processor compatibility.`,
          `Shut ${vm.name} down, run setProcessorCompatibility(input: {vm, enabled: true}), start it, then move it.`,
        ),
      );
    } else {
      checks.push(
        pass(
          "processor",
          vendorsDiffer
            ? "Processor compatibility mode allows the move across CPU vendors."
            : `Both hosts are ${source.cpuVendor}.`,
        ),
      );
    }
    checks.push(
      dest.supportedVmVersions.length === 0 || dest.supportedVmVersions.includes(vm.configurationVersion)
        ? pass("configuration version", `${dest.name} runs configuration version ${vm.configurationVersion}.`)
        : fail(
            "configuration version",
            `${dest.name} does not support configuration version ${vm.configurationVersion} (supports ${dest.supportedVmVersions.join(", ")}).`,
            "Choose a newer destination host, or keep the VM on a host that runs its version.",
          ),
    );
    checks.push(firewallCheck(dest, MIGRATION_RULE, "live migration"));
  }
  if (
    target &&
    (withStorage ||
      target.settings?.performanceOption === "SMB" ||
      source.settings?.performanceOption === "SMB")
  ) {
    checks.push(firewallCheck(target, SMB_RULE, "SMB"));
  }
  checks.push(...storageChecks(vm, request, target));
  if (compare === "unavailable") {
    checks.push(
      warn(
        "compare-vm",
        "The source agent did not answer Compare-VM in time.",
        "Check the source agent; the move will still report Hyper-V's own errors.",
      ),
    );
  } else if (compare) {
    checks.push(
      compare.issues.length === 0
        ? pass("compare-vm", "Compare-VM reports no incompatibility.")
        : fail(
            "compare-vm",
            compare.issues.map((i) => `${i.message} (${i.messageId})`).join(" "),
            "Resolve the incompatibilities Compare-VM lists.",
          ),
    );
  }
  return { ok: checks.every((c) => c.status !== "FAIL"), checks };
}

function storageChecks(vm: VmView, request: MoveRequest, target: HostView | null): PreflightCheck[] {
  const paths = [vm.path, ...vm.hardDrives.map((d) => d.path)];
  if (request.kind === "LIVE") {
    const local = paths.filter((p) => !isSharedPath(p));
    return [
      local.length
        ? fail(
            "storage",
            `${vm.name} keeps files on host-local storage (${local[0]}); a live move without storage cannot reach them.`,
            "Move with includeStorage: true and a destinationStoragePath on the destination, or move the files to an SMB share first (moveVmStorage).",
          )
        : pass("storage", "The VM's files are on shared storage both hosts reach."),
    ];
  }
  const targets = request.destinationStoragePath ? [request.destinationStoragePath] : request.vhdDestinations;
  if (targets.length === 0) {
    return [
      fail(
        "storage path",
        "No destination storage path given.",
        "Pass destinationStoragePath (or vhds for moveVmStorage).",
      ),
    ];
  }
  const bad = targets.filter((p) => !isWindowsPath(p));
  if (bad.length) {
    return [
      fail(
        "storage path",
        `Not a valid Windows path: ${JSON.stringify(bad[0])}.`,
        "Use an absolute path like D:\\VMs\\name or \\\\server\\share\\name.",
      ),
    ];
  }
  return [
    pass("storage path", `Files go to ${targets.join(", ")}.`),
    roomCheck(vm, request, targets, target),
  ];
}

/** The destination folder's volume exists on the target host and holds the disks that move. */
function roomCheck(
  vm: VmView,
  request: MoveRequest,
  targets: string[],
  target: HostView | null,
): PreflightCheck {
  const name = "storage room";
  if (targets.every(isSharedPath)) {
    return warn(
      name,
      `${targets[0]} is a share; its free space is not reported.`,
      "Make sure the share has room for the VM's disks.",
    );
  }
  if (!target || target.volumes.length === 0) {
    return warn(
      name,
      "The destination's volumes are not known yet.",
      "Wait for the agent's next inventory report.",
    );
  }
  const moving = request.vhdSources?.length
    ? vm.hardDrives.filter((d) => request.vhdSources!.some((s) => s.toLowerCase() === d.path.toLowerCase()))
    : vm.hardDrives;
  const needed = moving.reduce((sum, d) => sum + d.sizeBytes, 0n);
  const root = targets[0]!.slice(0, 3).toLowerCase();
  const volume = target.volumes.find((v) => v.root.toLowerCase() === root);
  if (!volume) {
    return fail(
      name,
      `${target.name} has no volume ${targets[0]!.slice(0, 2)}.`,
      `Choose a folder on one of ${target.volumes.map((v) => v.root).join(", ")}.`,
    );
  }
  return volume.freeBytes >= needed
    ? pass(name, `${volume.root} on ${target.name} has ${gib(volume.freeBytes)} free for ${gib(needed)}.`)
    : fail(
        name,
        `${volume.root} on ${target.name} has ${gib(volume.freeBytes)} free; the disks need ${gib(needed)}.`,
        "Free space there or choose another volume.",
      );
}

function gib(bytes: bigint): string {
  return `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB`;
}
