// Readiness: is this host ready to send and receive live migrations, and if not, why and what to do.
// The seed's prerequisites and troubleshooting as checks. Pure: the caller loads host and fleet.
import type { CheckStatusValue } from "../shared/checks.ts";
import { type ParsedCidr, parseCidr, subnetContains } from "./validation.ts";

export const LIVE_MIGRATION_RULE = "VIRT-MIGL-In-TCP-NoScope";
export const SMB_RULE = "FPS-SMB-In-TCP";
export const RECOMMENDED_LINK_BPS = 10_000_000_000n;
export const MIGRATION_SERVICE = "Microsoft Virtual System Migration Service";

export interface ReadinessCheck {
  name: string;
  status: CheckStatusValue;
  message: string;
  remedy: string | null;
}

export interface ReadinessHost {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  cpuVendor: string;
  agentConnected: boolean;
  delegations: string[];
  delegationsKnown: boolean;
  settings: {
    enabled: boolean;
    authenticationType: string;
    performanceOption: string;
    useAnyNetworkForMigration: boolean;
  } | null;
  networks: { subnet: string; priority: number | null }[];
  firewallRules: { name: string; enabled: boolean }[];
  adapters: { name: string; linkSpeedBps: bigint; rdmaCapable: boolean; ipAddresses: string[] }[];
}

/** What readiness needs to know about every host of the fleet. */
export interface FleetHost {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  cpuVendor: string;
  authenticationType: string | null;
}

const pass = (name: string, message: string): ReadinessCheck => ({
  name,
  status: "PASS",
  message,
  remedy: null,
});
const warn = (name: string, message: string, remedy: string | null): ReadinessCheck => ({
  name,
  status: "WARN",
  message,
  remedy,
});
const fail = (name: string, message: string, remedy: string): ReadinessCheck => ({
  name,
  status: "FAIL",
  message,
  remedy,
});

/** "a, b, c and 4 more" */
export function names(list: string[], max = 8): string {
  if (list.length <= max) return list.join(", ");
  return `${list.slice(0, max).join(", ")} and ${list.length - max} more`;
}

function gbps(bps: bigint): string {
  const value = Number(bps) / 1e9;
  return `${Number.isInteger(value) ? value : value.toFixed(1)} Gbps`;
}

/** Adapters live migration uses: those with an address in a migration network, or all when any network is allowed. */
export function migrationAdapters(host: ReadinessHost) {
  const withIp = host.adapters.filter((a) => a.ipAddresses.length > 0);
  if (!host.settings || host.settings.useAnyNetworkForMigration) return withIp;
  const subnets = host.networks
    .map((n) => {
      try {
        return parseCidr(n.subnet, "subnet");
      } catch {
        return null;
      }
    })
    .filter((s): s is ParsedCidr => s !== null);
  return withIp.filter((a) => a.ipAddresses.some((ip) => subnets.some((s) => subnetContains(s, ip))));
}

function firewallCheck(host: ReadinessHost, name: string, rule: string, what: string): ReadinessCheck {
  const found = host.firewallRules.find((r) => r.name.toLowerCase() === rule.toLowerCase());
  if (!found) {
    return warn(
      name,
      `The firewall rule ${rule} (${what}) was not reported; if the Windows Firewall is on, ${what} is blocked.`,
      `Check with Get-NetFirewallRule -Name '${rule}' on ${host.name}.`,
    );
  }
  if (!found.enabled) {
    return fail(
      name,
      `The firewall rule ${rule} (${what}) is disabled.`,
      `Run Enable-NetFirewallRule -Name '${rule}' on ${host.name}.`,
    );
  }
  return pass(name, `The firewall rule ${rule} (${what}) is enabled.`);
}

/** Does `host` have constrained delegation to both services of `peer` (short or FQDN name)? */
export function delegatesTo(delegations: string[], peer: { name: string; fqdn: string | null }): boolean {
  const have = new Set(delegations.map((d) => d.toLowerCase()));
  const targets = [peer.name, peer.fqdn].filter((x): x is string => !!x);
  const has = (service: string) => targets.some((t) => have.has(`${service}/${t}`.toLowerCase()));
  return has("cifs") && has(MIGRATION_SERVICE);
}

export function computeReadiness(host: ReadinessHost, fleet: FleetHost[]): ReadinessCheck[] {
  const checks: ReadinessCheck[] = [];
  const others = fleet.filter((h) => h.id !== host.id);
  const s = host.settings;

  checks.push(
    host.agentConnected
      ? pass("agentConnected", "The host's Ferry agent is connected.")
      : fail(
          "agentConnected",
          "The host's Ferry agent is not connected: Ferry cannot configure or move VMs on it, and what it shows may be stale.",
          "Start the Ferry agent service on the host and check that it can reach the API.",
        ),
  );

  if (!s) {
    checks.push(
      fail(
        "inventoryReported",
        "The agent has not reported the host's settings yet.",
        "Wait for the agent's first inventory report.",
      ),
    );
    return checks;
  }

  checks.push(
    s.enabled
      ? pass("migrationEnabled", "Live migration is enabled.")
      : fail(
          "migrationEnabled",
          "Live migration is disabled: moves to and from this host fail with 'virtual machine migration is not enabled'.",
          "enableMigration(hosts: [...]) or Enable-VMMigration on the host (seed step 1).",
        ),
  );

  checks.push(
    s.useAnyNetworkForMigration
      ? pass("migrationNetworks", "Live migration may use any available network.")
      : host.networks.length > 0
        ? pass("migrationNetworks", `Live migration uses ${host.networks.map((n) => n.subnet).join(", ")}.`)
        : fail(
            "migrationNetworks",
            "No migration network is configured and use-any-network is off: live migration has no network to use.",
            'addMigrationNetwork(input: {hosts, subnet: "10.0.1.0/24", priority: 1}) or updateMigrationSettings with useAnyNetworkForMigration: true.',
          ),
  );

  checks.push(
    firewallCheck(host, "liveMigrationFirewallRule", LIVE_MIGRATION_RULE, "live migration, TCP 6600"),
  );

  if (s.performanceOption === "SMB") {
    checks.push(firewallCheck(host, "smbFirewallRule", SMB_RULE, "SMB, TCP 445"));
  } else {
    checks.push(pass("smbFirewallRule", `Not needed: the transport is ${s.performanceOption}, not SMB.`));
  }

  const authPeers = others.filter((o) => o.authenticationType !== null);
  const differing = authPeers.filter((o) => o.authenticationType !== s.authenticationType);
  checks.push(
    differing.length === 0
      ? pass("authenticationConsistent", `Every reporting host uses ${s.authenticationType} authentication.`)
      : warn(
          "authenticationConsistent",
          `This host uses ${s.authenticationType}; ${names(differing.map((o) => `${o.name} (${o.authenticationType})`))} use another authentication type, so moves between them fail authentication.`,
          "updateMigrationSettings(input: {hosts: [...], authenticationType: ...}) so the fleet agrees (Kerberos recommended, with the delegationPlan applied).",
        ),
  );

  if (s.authenticationType === "KERBEROS") {
    const peers = others.filter(
      (o) => !host.domain || !o.domain || o.domain.toLowerCase() === host.domain.toLowerCase(),
    );
    if (!host.delegationsKnown) {
      checks.push(
        warn(
          "kerberosDelegation",
          "Kerberos needs constrained delegation in Active Directory; the agent cannot read this host's AD object, so it is unknown whether it is configured.",
          "Run the script of delegationPlan(hosts: [...]) on a domain controller.",
        ),
      );
    } else {
      const missing = peers.filter((p) => !delegatesTo(host.delegations, p));
      checks.push(
        missing.length === 0
          ? pass(
              "kerberosDelegation",
              "Constrained delegation (cifs and the migration service) is configured to every peer.",
            )
          : fail(
              "kerberosDelegation",
              `Constrained delegation to ${names(missing.map((p) => p.name))} is missing: moves there fail with 'No credentials are available in the security package (0x8009030E)'.`,
              "Run the script of delegationPlan(hosts: [...]) on a domain controller, then klist purge -li 0x3e7 on the hosts (or wait about 15 minutes).",
            ),
      );
    }
  } else {
    checks.push(
      pass(
        "kerberosDelegation",
        "CredSSP: no delegation needed, Ferry's agent starts every move on the source host.",
      ),
    );
  }

  if (!host.domain) {
    checks.push(
      warn(
        "sameDomain",
        "The host is not in an Active Directory domain: Kerberos is impossible and moves rely on CredSSP.",
        "Join the hosts to the same domain (seed prerequisites).",
      ),
    );
  } else {
    const elsewhere = others.filter((o) => (o.domain ?? "").toLowerCase() !== host.domain!.toLowerCase());
    checks.push(
      elsewhere.length === 0
        ? pass("sameDomain", `Every host is in ${host.domain}.`)
        : warn(
            "sameDomain",
            `This host is in ${host.domain}; ${names(elsewhere.map((o) => `${o.name} (${o.domain ?? "workgroup"})`))} are not.`,
            "Join the hosts to the same domain, or configure constrained delegation across domains.",
          ),
    );
  }

  const adapters = migrationAdapters(host);
  if (adapters.length === 0) {
    checks.push(
      warn(
        "migrationLinkSpeed",
        "No network adapter has an address in the migration networks.",
        "Check the migration networks against the adapters' addresses.",
      ),
    );
  } else {
    const slow = adapters.filter((a) => a.linkSpeedBps < RECOMMENDED_LINK_BPS);
    checks.push(
      slow.length === 0
        ? pass(
            "migrationLinkSpeed",
            `Migration adapters: ${adapters.map((a) => `${a.name} ${gbps(a.linkSpeedBps)}`).join(", ")}.`,
          )
        : warn(
            "migrationLinkSpeed",
            `Migration adapter ${slow.map((a) => `${a.name} (${gbps(a.linkSpeedBps)})`).join(", ")} is below the 10 Gbps the seed recommends: moves take much longer.`,
            "Use a 10 Gbps (or faster) adapter for the migration network.",
          ),
    );
  }

  if (s.performanceOption === "SMB") {
    const rdma = adapters.filter((a) => a.rdmaCapable);
    checks.push(
      rdma.length > 0
        ? pass("smbRdma", `SMB transport with RDMA-capable ${rdma.map((a) => a.name).join(", ")}.`)
        : warn(
            "smbRdma",
            "SMB transport is chosen but no migration adapter is RDMA-capable: SMB Direct cannot be used.",
            "Use COMPRESSION (updateMigrationSettings performanceOption: COMPRESSION) or RDMA-capable adapters.",
          ),
    );
  } else {
    checks.push(pass("smbRdma", `Not needed: the transport is ${s.performanceOption}.`));
  }

  const sameVendor = others.filter((o) => o.cpuVendor === host.cpuVendor);
  const otherVendor = others.filter((o) => o.cpuVendor !== host.cpuVendor);
  if (host.cpuVendor === "OTHER") {
    checks.push(
      warn(
        "cpuVendorPeers",
        "The CPU vendor is unknown: VMs may need processor compatibility mode to move.",
        "setProcessorCompatibility(input: {vm, enabled: true}) while the VM is off (seed step 5).",
      ),
    );
  } else if (others.length > 0 && sameVendor.length === 0) {
    checks.push(
      warn(
        "cpuVendorPeers",
        `No other host has a ${host.cpuVendor} CPU: VMs cannot move live from or to this host.`,
        "Live migration does not cross CPU vendors; use storage/offline moves or add a host with the same vendor.",
      ),
    );
  } else {
    checks.push(
      pass(
        "cpuVendorPeers",
        `${host.cpuVendor}: VMs move live to and from ${sameVendor.length > 0 ? names(sameVendor.map((o) => o.name)) : "no other host yet"}${otherVendor.length > 0 ? `; not to ${names(otherVendor.map((o) => `${o.name} (${o.cpuVendor})`))} (different vendor)` : ""}. Between different CPU generations of ${host.cpuVendor}, enable processor compatibility.`,
      ),
    );
  }
  return checks;
}
