// Rules about one host taking part in live migration at all: enabled, and a network to use.
// docs/hyperv.md "Migration enabled", "Migration network".
import { subnetContains } from "../cidr.ts";
import { type HostFacts, hostsArg } from "../facts.ts";
import { fail, pass, type Verdict } from "../verdict.ts";

/** Enable-VMMigration: a host with migration disabled neither sends nor receives. */
export function migrationEnabled(host: Pick<HostFacts, "name" | "apiId" | "migrationEnabled">): Verdict {
  return host.migrationEnabled
    ? pass(`Live migration is enabled on ${host.name}.`)
    : fail(
        `Live migration is not enabled on ${host.name}: moves to and from it fail with "virtual machine migration is not enabled".`,
        `mutation { enableMigration(hosts: ${hostsArg([host])}) { operations { status } } } for ${host.name} (Enable-VMMigration on ${host.name}).`,
        "MIGRATION_DISABLED",
      );
}

type NetworkFacts = Pick<
  HostFacts,
  "name" | "apiId" | "useAnyNetworkForMigration" | "migrationSubnets" | "adapterAddresses"
>;

/** The migration subnets that hold one of the host's addresses: the networks live migration can use. */
export function usableMigrationSubnets(host: NetworkFacts): string[] {
  return host.migrationSubnets.filter((s) => host.adapterAddresses.some((ip) => subnetContains(s, ip)));
}

/**
 * With UseAnyNetworkForMigration off, Hyper-V uses only the listed migration networks that hold one
 * of the host's addresses; with none, the host can neither send nor receive a live migration.
 */
export function migrationNetwork(host: NetworkFacts): Verdict {
  if (host.useAnyNetworkForMigration) return pass(`${host.name} may use any network for live migration.`);
  const usable = usableMigrationSubnets(host);
  if (usable.length > 0) return pass(`${host.name} migrates over ${usable.join(", ")}.`);
  const listed = host.migrationSubnets.length
    ? `its migration networks (${host.migrationSubnets.join(", ")}) hold none of its addresses (${host.adapterAddresses.join(", ") || "none reported"})`
    : "it lists no migration network";
  return fail(
    `${host.name} has no usable migration network: use-any-network is off and ${listed}, so it can neither send nor receive a live migration.`,
    `Add a subnet that holds one of ${host.name}'s addresses: mutation { addMigrationNetwork(input: {hosts: ${hostsArg([host])}, subnet: "<subnet>", priority: 1}) { operations { status } } }, or allow any network: updateMigrationSettings(input: {hosts: ${hostsArg([host])}, useAnyNetworkForMigration: true}).`,
    "NETWORK_UNREACHABLE",
  );
}
