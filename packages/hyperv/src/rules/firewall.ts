// Windows Firewall rules live migration needs, matched by Name (DisplayName is localized).
// docs/hyperv.md "Firewall".
import type { HostFacts } from "../facts.ts";
import { fail, pass, type Verdict, warn } from "../verdict.ts";

/** Hyper-V (MIG-TCP-In), TCP 6600. */
export const MIGRATION_RULE = "VIRT-MIGL-In-TCP-NoScope";
/** File and Printer Sharing (SMB-In), TCP 445: SMB transport and moves that copy storage. */
export const SMB_RULE = "FPS-SMB-In-TCP";

export function firewallRule(
  host: Pick<HostFacts, "name" | "firewallRules">,
  rule: typeof MIGRATION_RULE | typeof SMB_RULE,
): Verdict {
  const what = rule === MIGRATION_RULE ? "live migration, TCP 6600" : "SMB, TCP 445";
  const found = host.firewallRules.find((r) => r.name.toLowerCase() === rule.toLowerCase());
  const remedy = `Enable-NetFirewallRule -Name '${rule}' on ${host.name}.`;
  if (!found) {
    return warn(
      `${host.name} reports no firewall rule ${rule} (${what}); if its Windows Firewall is on, the connection is refused.`,
      `Check with Get-NetFirewallRule -Name '${rule}' on ${host.name}.`,
      "NETWORK_REFUSED",
    );
  }
  if (!found.enabled) {
    return fail(
      `The firewall rule ${rule} (${what}) is disabled on ${host.name}.`,
      remedy,
      "NETWORK_REFUSED",
    );
  }
  return pass(`The firewall rule ${rule} (${what}) is enabled on ${host.name}.`);
}

/** The incoming rules a destination needs for this move. */
export function rulesNeeded(opts: { smbTransport: boolean; copiesStorage: boolean }): string[] {
  return [MIGRATION_RULE, ...(opts.smbTransport || opts.copiesStorage ? [SMB_RULE] : [])];
}
