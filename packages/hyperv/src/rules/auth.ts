// Authentication between a source and a destination host. docs/hyperv.md "Authentication".
import { type HostFacts, hostsArg } from "../facts.ts";
import { fail, pass, type Verdict, warn } from "../verdict.ts";

export const MIGRATION_SERVICE = "Microsoft Virtual System Migration Service";
/** The two services a Kerberos source must be allowed to delegate to, for every destination. */
export const DELEGATED_SERVICES = ["cifs", MIGRATION_SERVICE] as const;

type AuthHost = Pick<HostFacts, "name" | "apiId" | "fqdn" | "domain" | "authenticationType" | "delegations">;

/** An SPN "service/host[:port]" split; both parts compare case-insensitively, as in Active Directory. */
function spn(value: string): { service: string; host: string } | null {
  const slash = value.indexOf("/");
  if (slash <= 0) return null;
  return {
    service: value.slice(0, slash).trim().toLowerCase(),
    host: value
      .slice(slash + 1)
      .trim()
      .toLowerCase(),
  };
}

/**
 * A host's delegation entries as "service/host" keys, parsed once per list: readiness checks every
 * host against every peer, so a fleet of N hosts asks N² times (10,000 hosts: 10⁸ parses otherwise).
 * Keyed by the list itself: lists are replaced, never changed in place (inventory rows, the simulator).
 */
const parsedDelegations = new WeakMap<readonly string[], ReadonlySet<string>>();

function delegationKeys(delegations: readonly string[]): ReadonlySet<string> {
  let keys = parsedDelegations.get(delegations);
  if (!keys) {
    keys = new Set(
      delegations
        .map(spn)
        .filter((e) => e !== null)
        .map((e) => `${e.service}/${e.host}`),
    );
    parsedDelegations.set(delegations, keys);
  }
  return keys;
}

/** The services of DELEGATED_SERVICES that `delegations` lacks for `peer` (short name or FQDN). */
export function missingDelegations(
  delegations: string[],
  peer: { name: string; fqdn: string | null },
): string[] {
  const targets = [peer.name, peer.fqdn].filter((t): t is string => !!t).map((t) => t.toLowerCase());
  const keys = delegationKeys(delegations);
  return DELEGATED_SERVICES.filter(
    (service) => !targets.some((host) => keys.has(`${service.toLowerCase()}/${host}`)),
  );
}

const workgroup = (h: AuthHost) => !h.domain;

function unattendedRemedy(source: AuthHost, dest: AuthHost): string {
  if (workgroup(source) || workgroup(dest)) {
    return `Without Active Directory there is no unattended path: start the move from a session signed in on ${source.name} (console, Remote Desktop or remote PowerShell), or join both hosts to one domain first.`;
  }
  return `Kerberos with constrained delegation is the unattended path: apply query { delegationPlan(hosts: ${hostsArg([source, dest])}) { script } } on a domain controller, then updateMigrationSettings(input: {hosts: ${hostsArg([source, dest])}, authenticationType: KERBEROS}).`;
}

/**
 * What decides authentication(source, dest), without its message: readiness asks it of every peer
 * of every host (N² at fleet size), and builds the message only for the peer it names.
 */
export type AuthenticationOutcome =
  | "CREDSSP"
  | "WORKGROUP"
  | "DELEGATIONS_UNKNOWN"
  | "DELEGATION_MISSING"
  | "DELEGATED";

/** The status authentication() gives each outcome. */
export const AUTHENTICATION_STATUS: Readonly<Record<AuthenticationOutcome, Verdict["status"]>> = {
  CREDSSP: "WARN",
  WORKGROUP: "FAIL",
  DELEGATIONS_UNKNOWN: "WARN",
  DELEGATION_MISSING: "FAIL",
  DELEGATED: "PASS",
};

export function authenticationOutcome(source: AuthHost, dest: AuthHost): AuthenticationOutcome {
  if (source.authenticationType !== "KERBEROS") return "CREDSSP";
  if (workgroup(source) || workgroup(dest)) return "WORKGROUP";
  if (source.delegations === null) return "DELEGATIONS_UNKNOWN";
  return delegatesAll(source.delegations, dest) ? "DELEGATED" : "DELEGATION_MISSING";
}

const SERVICE_KEYS = DELEGATED_SERVICES.map((s) => s.toLowerCase());

/** missingDelegations(...).length === 0, without building the list. */
function delegatesAll(delegations: string[], peer: { name: string; fqdn: string | null }): boolean {
  const keys = delegationKeys(delegations);
  const name = peer.name ? peer.name.toLowerCase() : null;
  const fqdn = peer.fqdn ? peer.fqdn.toLowerCase() : null;
  return SERVICE_KEYS.every(
    (s) => (name !== null && keys.has(`${s}/${name}`)) || (fqdn !== null && keys.has(`${s}/${fqdn}`)),
  );
}

/**
 * Can `source` authenticate to `dest`? The source's protocol decides (Set-VMHost
 * -VirtualMachineMigrationAuthenticationType). Kerberos needs AD and constrained delegation from the
 * source to cifs and the migration service of the destination; CredSSP needs a user signed in on the
 * source, which an agent running as a service does not have.
 */
export function authentication(source: AuthHost, dest: AuthHost): Verdict {
  const outcome = authenticationOutcome(source, dest);
  if (outcome === "CREDSSP") {
    return warn(
      `CredSSP: Hyper-V delegates the credentials of a user signed in on ${source.name}; Ferry's agent runs as a service without such a sign-in, so the move may fail with "No credentials are available in the security package (0x8009030E)".`,
      unattendedRemedy(source, dest),
      "AUTHENTICATION_FAILED",
    );
  }
  if (outcome === "WORKGROUP") {
    const outside = [source, dest].filter(workgroup);
    return fail(
      `Kerberos: ${outside.map((h) => h.name).join(" and ")} ${outside.length > 1 ? "are" : "is"} not in an Active Directory domain, and Kerberos needs one.`,
      `Join both hosts to one domain, or use CredSSP (updateMigrationSettings(input: {hosts: ${hostsArg([source])}, authenticationType: CREDSSP})) and start moves from a session signed in on ${source.name}.`,
      "AUTHENTICATION_FAILED",
    );
  }
  if (outcome === "DELEGATED") {
    return pass(`Kerberos: ${source.name} may delegate cifs and ${MIGRATION_SERVICE} to ${dest.name}.`);
  }
  const remedy = `Apply the entries of query { delegationPlan(hosts: ${hostsArg([source, dest])}) { script } } on a domain controller, then klist purge -li 0x3e7 on ${source.name} (or wait about 15 minutes).`;
  if (outcome === "DELEGATIONS_UNKNOWN") {
    return warn(
      `Kerberos: ${source.name}'s delegation entries could not be read; the move fails unless ${source.name} may delegate cifs and ${MIGRATION_SERVICE} to ${dest.name}.`,
      remedy,
      "AUTHENTICATION_FAILED",
    );
  }
  const missing = missingDelegations(source.delegations!, dest);
  return fail(
    `Kerberos: ${source.name} lacks constrained delegation to ${dest.name} for ${missing.join(" and ")}: the move fails with 0x8009030E.`,
    remedy,
    "AUTHENTICATION_FAILED",
  );
}

/**
 * Hosts set to different protocols. Microsoft documents the setting per host but not whether a
 * destination accepts the other protocol: unconfirmed, so a warning, never a block.
 */
export function authenticationTypesMatch(
  source: Pick<HostFacts, "name" | "apiId" | "authenticationType" | "domain">,
  dest: Pick<HostFacts, "name" | "apiId" | "authenticationType" | "domain">,
): Verdict {
  if (source.authenticationType === dest.authenticationType) {
    return pass(`${source.name} and ${dest.name} both use ${source.authenticationType}.`);
  }
  return warn(
    `${source.name} uses ${source.authenticationType} and ${dest.name} uses ${dest.authenticationType}. The source's protocol is the one used; whether Hyper-V accepts it on a destination set to the other protocol is unconfirmed.`,
    `Use one protocol on both: updateMigrationSettings(input: {hosts: ${hostsArg([source, dest])}, authenticationType: ${source.domain && dest.domain ? "KERBEROS" : "CREDSSP"}})${source.domain && dest.domain ? " after applying the delegationPlan" : ""}.`,
    "AUTHENTICATION_FAILED",
  );
}

/** Both hosts in one AD domain: what Kerberos needs. Workgroup hosts can only use CredSSP. */
export function sameDomain(
  source: Pick<HostFacts, "name" | "domain">,
  dest: Pick<HostFacts, "name" | "domain">,
): Verdict {
  if (source.domain && dest.domain && source.domain.toLowerCase() === dest.domain.toLowerCase()) {
    return pass(`${source.name} and ${dest.name} are both in ${source.domain}.`);
  }
  const where = (h: { name: string; domain: string | null }) => `${h.name} (${h.domain ?? "workgroup"})`;
  const remedy =
    source.domain && dest.domain
      ? "Kerberos across domains needs a trust and delegation across it; moving within one domain is simpler."
      : "Join both hosts to one Active Directory domain; until then only CredSSP, with a sign-in on the source, can authenticate.";
  return warn(`${where(source)} and ${where(dest)} are not in the same domain.`, remedy);
}
