// The rules one live move (Move-VM) must pass, in the order Hyper-V meets them. Preflight reports
// them all; the simulator refuses at the first FAIL. docs/hyperv.md lists each rule.
import type { HostFacts, VmFacts } from "./facts.ts";
import { authentication, authenticationTypesMatch, sameDomain } from "./rules/auth.ts";
import { firewallRule, MIGRATION_RULE, SMB_RULE } from "./rules/firewall.ts";
import { migrationEnabled, migrationNetwork } from "./rules/host.ts";
import { clustered, configurationVersion, memory, processor, switches } from "./rules/vm.ts";
import type { Verdict } from "./verdict.ts";

export type RuleId =
  | "clustered"
  | "migrationEnabled"
  | "migrationNetwork"
  | "authentication"
  | "authenticationTypes"
  | "sameDomain"
  | "firewall"
  | "processor"
  | "configurationVersion"
  | "switches"
  | "memory";

export interface RuleVerdict extends Verdict {
  rule: RuleId;
  /** The host the verdict is about, for per-host rules. */
  host: string | null;
  /** Hyper-V checks it before copying anything (start) or fails a running job on it (during). */
  phase: "start" | "during";
}

export interface LiveMoveOptions {
  /** The source's transport is SMB. */
  smbTransport: boolean;
  /** -IncludeStorage: the files are copied too (over SMB). */
  copiesStorage: boolean;
}

export function liveMoveRules(
  vm: VmFacts,
  source: HostFacts,
  dest: HostFacts,
  opts: LiveMoveOptions,
): RuleVerdict[] {
  const at = (rule: RuleId, v: Verdict, host: string | null = null, phase: "start" | "during" = "start") => ({
    ...v,
    rule,
    host,
    phase,
  });
  const out: RuleVerdict[] = [at("clustered", clustered(vm))];
  for (const h of [source, dest]) out.push(at("migrationEnabled", migrationEnabled(h), h.name));
  for (const h of [source, dest]) out.push(at("migrationNetwork", migrationNetwork(h), h.name));
  out.push(at("authentication", authentication(source, dest)));
  out.push(at("authenticationTypes", authenticationTypesMatch(source, dest)));
  out.push(at("sameDomain", sameDomain(source, dest)));
  out.push(at("firewall", firewallRule(dest, MIGRATION_RULE), MIGRATION_RULE));
  if (opts.smbTransport || opts.copiesStorage)
    out.push(at("firewall", firewallRule(dest, SMB_RULE), SMB_RULE));
  out.push(at("processor", processor(vm, source, dest)));
  out.push(at("configurationVersion", configurationVersion(vm, dest)));
  out.push(at("switches", switches(vm, dest), null, "during"));
  out.push(at("memory", memory(vm, dest), null, "during"));
  return out;
}

/** The first rule that blocks the move at `phase`, as Hyper-V would meet it; null when none does. */
export function firstFailure(verdicts: RuleVerdict[], phase: "start" | "during"): RuleVerdict | null {
  return verdicts.find((v) => v.status === "FAIL" && v.phase === phase) ?? null;
}
