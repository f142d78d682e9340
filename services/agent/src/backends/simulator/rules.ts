// The simulator's hosts and VMs as @ferry/hyperv rule inputs, so it refuses exactly what preflight
// and readiness report (docs/hyperv.md).
import type { HostFacts, VmFacts } from "@ferry/hyperv";
import type { Vm } from "../types.ts";
import type { WorldModel } from "./model.ts";
import type { SimHost } from "./state.ts";

/** The host's msDS-AllowedToDelegateTo in the simulated AD (name matched case-insensitively). */
export function delegationsOf(m: WorldModel, host: SimHost): string[] | null {
  const d = m.state.delegations;
  const key = Object.keys(d).find((k) => k.toLowerCase() === host.facts.name.toLowerCase());
  return key === undefined ? null : (d[key] ?? null);
}

export function simHostFacts(m: WorldModel, host: SimHost): HostFacts {
  const s = host.settings;
  return {
    name: host.facts.name,
    fqdn: host.facts.fqdn,
    domain: host.facts.domain,
    cpuVendor: host.facts.cpuVendor,
    migrationEnabled: s.enabled,
    authenticationType: s.authenticationType,
    performanceOption: s.performanceOption,
    useAnyNetworkForMigration: s.useAnyNetworkForMigration,
    migrationSubnets: s.networks.map((n) => n.subnet),
    adapterAddresses: host.networkAdapters.flatMap((a) => a.ipAddresses),
    // What the simulated AD holds; a host missing from it has no delegation at all.
    delegations: delegationsOf(m, host) ?? [],
    switches: host.switches.map((sw) => sw.name),
    firewallRules: host.firewallRules,
    memoryAvailableBytes: m.memoryAvailable(host),
    supportedVmVersions: host.facts.supportedVmVersions,
  };
}

export function simVmFacts(vm: Vm): VmFacts {
  return { ...vm, isClustered: vm.isClustered ?? false };
}
