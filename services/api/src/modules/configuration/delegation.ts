// The Kerberos constrained-delegation plan (docs/hyperv.md "Authentication"):
// for every ordered pair (source S, destination D) S's computer object needs msDS-AllowedToDelegateTo
// cifs/D, cifs/D.fqdn, Microsoft Virtual System Migration Service/D and /D.fqdn, plus protocol
// transition (TrustedToAuthForDelegation). Pure: the caller loads the hosts.
//
// The script is data-safe: every value from the inventory sits inside a single-quoted PowerShell
// string with each quote character doubled (PowerShell also ends single-quoted strings at the
// typographic quotes U+2018-U+201B, so those are doubled too), and no value ever appears in a comment.
import { MIGRATION_SERVICE } from "./readiness.ts";

export type DelegationStatus = "PRESENT" | "MISSING" | "UNKNOWN";

export interface DelegationHost {
  id: string;
  name: string;
  fqdn: string | null;
  domain: string | null;
  delegations: string[];
  delegationsKnown: boolean;
}

export interface DelegationEntry {
  service: string;
  target: string;
  /** The msDS-AllowedToDelegateTo value, service/target. */
  value: string;
  status: DelegationStatus;
}

export interface DelegationPair {
  source: DelegationHost;
  destination: DelegationHost;
  entries: DelegationEntry[];
}

export interface ProtocolTransitionStep {
  host: DelegationHost;
  /** The PowerShell command (values quoted). */
  command: string;
  /** Ferry cannot read userAccountControl, so this is always UNKNOWN. */
  status: DelegationStatus;
}

export interface DelegationPlan {
  hosts: DelegationHost[];
  pairs: DelegationPair[];
  protocolTransition: ProtocolTransitionStep[];
  script: string;
  ticketRefreshNote: string;
  warnings: string[];
}

export const TICKET_REFRESH_NOTE =
  "Kerberos tickets pick up the new delegation after `klist purge -li 0x3e7` on each host (run as administrator; it purges the computer account's tickets), or by themselves in about 15 minutes. Until then moves may still fail with 0x8009030E.";

/** PowerShell's single-quote characters: ' and the typographic ‘ ’ ‚ ‛, all of which end a '...' string. */
const QUOTE_CHARS = /['\u2018\u2019\u201A\u201B]/g;

/** A PowerShell single-quoted string literal holding exactly `value`. */
export function psQuote(value: string): string {
  return `'${value.replace(QUOTE_CHARS, (q) => q + q)}'`;
}

/** The FQDN used for the .fqdn entries: the reported one, else name.domain; null when neither is known. */
export function fqdnOf(host: DelegationHost): string | null {
  if (host.fqdn) return host.fqdn;
  return host.domain ? `${host.name}.${host.domain}` : null;
}

function statusOf(source: DelegationHost, value: string): DelegationStatus {
  if (!source.delegationsKnown) return "UNKNOWN";
  return source.delegations.some((d) => d.toLowerCase() === value.toLowerCase()) ? "PRESENT" : "MISSING";
}

export function buildDelegationPlan(hosts: DelegationHost[]): DelegationPlan {
  const warnings: string[] = [];
  const pairs: DelegationPair[] = [];
  for (const source of hosts) {
    for (const destination of hosts) {
      if (source === destination) continue;
      const targets = [destination.name, fqdnOf(destination)].filter((t): t is string => !!t);
      const entries: DelegationEntry[] = [];
      for (const service of ["cifs", MIGRATION_SERVICE]) {
        for (const target of targets) {
          const value = `${service}/${target}`;
          entries.push({ service, target, value, status: statusOf(source, value) });
        }
      }
      pairs.push({ source, destination, entries });
    }
  }
  for (const host of hosts) {
    if (!fqdnOf(host))
      warnings.push(`${host.name} reported no FQDN or domain: only its short-name entries are listed.`);
  }
  const protocolTransition = hosts.map((host) => ({
    host,
    command: `Set-ADAccountControl -Identity (Get-ADComputer -Identity ${psQuote(host.name)}) -TrustedToAuthForDelegation $true`,
    status: "UNKNOWN" as const,
  }));
  return {
    hosts,
    pairs,
    protocolTransition,
    script: script(hosts, pairs),
    ticketRefreshNote: TICKET_REFRESH_NOTE,
    warnings,
  };
}

/**
 * One script for a domain controller (ActiveDirectory module, domain admin). Idempotent: adds only
 * the values the computer object lacks, then enables protocol transition. Values are data only.
 */
function script(hosts: DelegationHost[], pairs: DelegationPair[]): string {
  const lines = [
    "# Ferry: Kerberos constrained delegation for live migration.",
    "# Run on a domain controller as a domain administrator. Safe to run again.",
    "#Requires -Modules ActiveDirectory",
    "Import-Module ActiveDirectory",
    "$ErrorActionPreference = 'Stop'",
    "$plan = @(",
  ];
  hosts.forEach((source, i) => {
    const values = pairs.filter((p) => p.source === source).flatMap((p) => p.entries.map((e) => e.value));
    const list = values.map((v) => `      ${psQuote(v)}`).join(",\n");
    lines.push(
      `  [pscustomobject]@{`,
      `    Computer = ${psQuote(source.name)}`,
      `    AllowedToDelegateTo = @(`,
      list,
      `    )`,
      `  }${i < hosts.length - 1 ? "," : ""}`,
    );
  });
  lines.push(
    ")",
    "foreach ($entry in $plan) {",
    "  $computer = Get-ADComputer -Identity $entry.Computer -Properties 'msDS-AllowedToDelegateTo'",
    "  $present = @($computer.'msDS-AllowedToDelegateTo')",
    "  $missing = @($entry.AllowedToDelegateTo | Where-Object { $present -notcontains $_ })",
    "  if ($missing.Count -gt 0) {",
    "    Set-ADObject -Identity $computer -Add @{ 'msDS-AllowedToDelegateTo' = [string[]]$missing }",
    "  }",
    "  # Protocol transition ('use any authentication protocol'), needed on Windows Server 2016.",
    "  Set-ADAccountControl -Identity $computer -TrustedToAuthForDelegation $true",
    "  Write-Output ('{0}: added {1} delegation entries' -f $entry.Computer, $missing.Count)",
    "}",
    "# Then on every host: klist purge -li 0x3e7 (or wait about 15 minutes for new tickets).",
  );
  return `${lines.join("\n")}\n`;
}
