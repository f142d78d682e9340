import { describe, expect, it } from "vitest";
import type { HostFacts } from "../facts.ts";
import { host } from "../test-facts.ts";
import { migrationEnabled, migrationNetwork } from "./host.ts";

describe("migrationEnabled", () => {
  it("FAILs a disabled host with MIGRATION_DISABLED and a remedy naming its API id and name", () => {
    const v = migrationEnabled(host("HV1", { migrationEnabled: false }));
    expect(v).toMatchObject({ status: "FAIL", code: "MIGRATION_DISABLED" });
    expect(v.remedy).toContain('enableMigration(hosts: ["id-HV1"])');
    expect(v.remedy).toContain("Enable-VMMigration on HV1");
    expect(migrationEnabled(host("HV1")).status).toBe("PASS");
  });
});

describe("migrationNetwork", () => {
  it.each([
    ["use any network", { useAnyNetworkForMigration: true, migrationSubnets: [] }, "PASS"],
    ["a subnet holds an address", {}, "PASS"],
    ["no subnet listed", { migrationSubnets: [] }, "FAIL"],
    ["subnets hold no address", { migrationSubnets: ["10.9.0.0/16"] }, "FAIL"],
    ["no adapter address", { adapterAddresses: [] }, "FAIL"],
    [
      "IPv6 subnet and address",
      { migrationSubnets: ["fd00:1::/64"], adapterAddresses: ["fd00:1::5"] },
      "PASS",
    ],
    ["IPv6 subnet, only IPv4 addresses", { migrationSubnets: ["fd00:1::/64"] }, "FAIL"],
    ["second subnet matches", { migrationSubnets: ["10.9.0.0/16", "10.0.0.0/8"] }, "PASS"],
  ] as [string, Partial<HostFacts>, string][])("%s: %s", (_label, over, status) => {
    const v = migrationNetwork(host("HV1", over));
    expect(v.status).toBe(status);
    if (status === "FAIL") {
      expect(v.code).toBe("NETWORK_UNREACHABLE");
      expect(v.message).toContain("can neither send nor receive");
      expect(v.remedy).toContain('addMigrationNetwork(input: {hosts: ["id-HV1"]');
    }
  });
});
