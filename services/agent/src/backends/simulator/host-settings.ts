// Set-VMHost, Enable-/Disable-VMMigration, *-VMMigrationNetwork and Set-VMProcessor on simulated state.
import { type HostSettingsChange, HyperVError, type MigrationNetwork } from "../types.ts";
import type { WorldModel } from "./model.ts";
import type { SimHost } from "./state.ts";

const AUTH = new Set(["CREDSSP", "KERBEROS"]);
const PERF = new Set(["TCPIP", "COMPRESSION", "SMB"]);
const UINT32_MAX = 4294967295;

function invalid(message: string): HyperVError {
  return new HyperVError("INVALID_PARAMETER", message);
}

/** IPv4 or IPv6 CIDR, as Add-VMMigrationNetwork -Subnet accepts. */
export function isCidr(subnet: unknown): subnet is string {
  if (typeof subnet !== "string") return false;
  const m4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(subnet);
  if (m4) return m4.slice(1, 5).every((o) => Number(o) <= 255) && Number(m4[5]) <= 32;
  const m6 = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(subnet);
  if (!m6) return false;
  const addr = m6[1]!;
  const groups = addr.split("::");
  if (groups.length > 2 || !addr.includes(":")) return false;
  const parts = groups.flatMap((g) => (g === "" ? [] : g.split(":")));
  const ok = parts.every((p) => /^[0-9a-fA-F]{1,4}$/.test(p));
  const count = groups.length === 2 ? parts.length < 8 : parts.length === 8;
  return ok && count && Number(m6[2]) <= 128;
}

function checkPriority(priority: unknown): number | null {
  if (priority === null || priority === undefined) return null;
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 0 || priority > UINT32_MAX) {
    throw invalid(
      `The priority '${String(priority)}' is not valid: it must be an integer from 0 to ${UINT32_MAX}.`,
    );
  }
  return priority;
}

function findNetwork(host: SimHost, subnet: string) {
  return host.settings.networks.find((n) => n.subnet.toLowerCase() === subnet.toLowerCase());
}

export function setMigrationEnabled(m: WorldModel, host: SimHost, enabled: boolean): void {
  host.settings.enabled = enabled;
  m.dirty = true;
}

export function addMigrationNetwork(m: WorldModel, host: SimHost, network: MigrationNetwork): void {
  if (!isCidr(network?.subnet))
    throw invalid(`The subnet '${String(network?.subnet)}' is not a valid IPv4 or IPv6 subnet.`);
  const priority = checkPriority(network.priority);
  if (findNetwork(host, network.subnet)) {
    throw new HyperVError(
      "NETWORK_EXISTS",
      `The migration network '${network.subnet}' already exists on host '${host.facts.name}'.`,
    );
  }
  host.settings.networks.push({ subnet: network.subnet, priority });
  m.dirty = true;
}

export function setMigrationNetworkPriority(m: WorldModel, host: SimHost, network: MigrationNetwork): void {
  const subnet = network?.subnet;
  const found = typeof subnet === "string" ? findNetwork(host, subnet) : undefined;
  const priority = checkPriority(network?.priority);
  if (!found) {
    throw new HyperVError(
      "NETWORK_NOT_FOUND",
      `The migration network '${String(subnet)}' was not found on host '${host.facts.name}'.`,
    );
  }
  found.priority = priority;
  m.dirty = true;
}

export function removeMigrationNetwork(m: WorldModel, host: SimHost, subnet: string): void {
  const found = typeof subnet === "string" ? findNetwork(host, subnet) : undefined;
  if (!found) {
    throw new HyperVError(
      "NETWORK_NOT_FOUND",
      `The migration network '${String(subnet)}' was not found on host '${host.facts.name}'.`,
    );
  }
  host.settings.networks = host.settings.networks.filter((n) => n !== found);
  m.dirty = true;
}

/** Validates the whole change first, so a bad field leaves nothing half-applied. */
export function setHostSettings(m: WorldModel, host: SimHost, change: HostSettingsChange): void {
  const c = change ?? {};
  if (c.authenticationType !== undefined && !AUTH.has(c.authenticationType)) {
    throw invalid(
      `'${String(c.authenticationType)}' is not a valid authentication type (CredSSP, Kerberos).`,
    );
  }
  if (c.performanceOption !== undefined && !PERF.has(c.performanceOption)) {
    throw invalid(
      `'${String(c.performanceOption)}' is not a valid performance option (TCPIP, Compression, SMB).`,
    );
  }
  for (const key of ["maximumVirtualMachineMigrations", "maximumStorageMigrations"] as const) {
    const v = c[key];
    if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > UINT32_MAX)) {
      throw invalid(`${key} must be an integer from 1 to ${UINT32_MAX}, not '${String(v)}'.`);
    }
  }
  if (c.useAnyNetworkForMigration !== undefined && typeof c.useAnyNetworkForMigration !== "boolean") {
    throw invalid("useAnyNetworkForMigration must be true or false.");
  }
  const s = host.settings;
  if (c.authenticationType !== undefined) s.authenticationType = c.authenticationType;
  if (c.performanceOption !== undefined) s.performanceOption = c.performanceOption;
  if (c.maximumVirtualMachineMigrations !== undefined)
    s.maximumVirtualMachineMigrations = c.maximumVirtualMachineMigrations;
  if (c.maximumStorageMigrations !== undefined) s.maximumStorageMigrations = c.maximumStorageMigrations;
  if (c.useAnyNetworkForMigration !== undefined) s.useAnyNetworkForMigration = c.useAnyNetworkForMigration;
  m.dirty = true;
}

/** Set-VMProcessor -CompatibilityForMigrationEnabled: only while the VM is Off (docs/hyperv.md "Processor"). */
export function setProcessorCompatibility(
  m: WorldModel,
  host: SimHost,
  vmId: string,
  enabled: boolean,
): void {
  const loc = typeof vmId === "string" ? m.locateVm(vmId) : undefined;
  if (!loc || loc.host !== host) {
    throw new HyperVError(
      "VM_NOT_FOUND",
      `Hyper-V was unable to find a virtual machine with ID '${String(vmId)}'.`,
    );
  }
  if (typeof enabled !== "boolean") throw invalid("CompatibilityForMigrationEnabled must be true or false.");
  if (loc.vm.state !== "OFF" || m.activeJobForVm(loc.vm.vmId)) {
    throw new HyperVError(
      "INVALID_VM_STATE",
      `The operation cannot be performed while the virtual machine '${loc.vm.name}' is in its current state. Turn off the virtual machine to change processor compatibility.`,
    );
  }
  loc.vm.processorCompatibilityForMigration = enabled;
  m.dirty = true;
}
