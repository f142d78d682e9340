// The small input types the rules read. Callers (API inventory, simulator world) map their own
// records onto these; every field is something Get-VMHost / Get-VM / AD / Get-NetFirewallRule reports.
export type CpuVendor = "INTEL" | "AMD" | "OTHER";
export type AuthenticationType = "CREDSSP" | "KERBEROS";

/** How a remedy names a host: its name, plus the API's id (Relay global id) when the caller has one. */
export interface HostRef {
  name: string;
  /** Relay global id the GraphQL API accepts ("Host:<uuid>" base64); absent outside the API. */
  apiId?: string;
}

export interface HostFacts extends HostRef {
  fqdn: string | null;
  /** AD domain; null for a workgroup host. */
  domain: string | null;
  cpuVendor: string;
  migrationEnabled: boolean;
  authenticationType: string;
  performanceOption: string;
  useAnyNetworkForMigration: boolean;
  /** Get-VMMigrationNetwork subnets (IPv4 or IPv6 CIDR). */
  migrationSubnets: string[];
  /** Every IP address of the host's network adapters. */
  adapterAddresses: string[];
  /** msDS-AllowedToDelegateTo of the host's computer object; null when it cannot be read. */
  delegations: string[] | null;
  switches: string[];
  firewallRules: { name: string; enabled: boolean }[];
  memoryAvailableBytes: bigint;
  /** Get-VMHostSupportedVersion; empty when not reported. */
  supportedVmVersions: string[];
}

export interface VmFacts {
  name: string;
  /** RUNNING, OFF, SAVED, PAUSED, or a transitional state. */
  state: string;
  memoryAssignedBytes: bigint;
  memoryStartupBytes: bigint;
  configurationVersion: string;
  processorCompatibilityForMigration: boolean;
  switchNames: string[];
  /** Get-VM IsClustered: a highly available VM owned by a failover cluster. */
  isClustered: boolean;
}

/** A hosts list for a GraphQL remedy: ["<id>", ...], or the names when no id is known. */
export function hostsArg(hosts: HostRef[]): string {
  return `[${hosts.map((h) => JSON.stringify(h.apiId ?? h.name)).join(", ")}]`;
}

/** "HV-A01" or "HV-A01 (id \"SG9zd...\")" */
export function named(host: HostRef): string {
  return host.apiId ? `${host.name} (id ${JSON.stringify(host.apiId)})` : host.name;
}
