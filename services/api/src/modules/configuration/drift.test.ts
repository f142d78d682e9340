import { describe, expect, it } from "vitest";
import { type ActualSettings, computeDrift, type ProfileSpec, sameDrift } from "./drift.ts";

const actual: ActualSettings = {
  enabled: true,
  authenticationType: "CREDSSP",
  performanceOption: "COMPRESSION",
  maximumVirtualMachineMigrations: 2,
  maximumStorageMigrations: 2,
  useAnyNetworkForMigration: false,
  networks: [
    { subnet: "10.0.1.0/24", priority: 1 },
    { subnet: "FD00:1:0::/64", priority: null },
  ],
};
const unmanaged: ProfileSpec = {
  enabled: null,
  authenticationType: null,
  performanceOption: null,
  maximumVirtualMachineMigrations: null,
  maximumStorageMigrations: null,
  useAnyNetworkForMigration: null,
  networks: null,
};

describe("computeDrift", () => {
  it("is empty when nothing is managed or everything matches", () => {
    expect(computeDrift(unmanaged, actual)).toEqual([]);
    expect(
      computeDrift(
        {
          ...unmanaged,
          enabled: true,
          networks: [
            { subnet: "fd00:1::/64", priority: null },
            { subnet: "10.0.1.0/24", priority: 1 },
          ],
        },
        actual,
      ),
    ).toEqual([]);
  });

  it("lists every difference: scalars, missing, extra and re-prioritised networks", () => {
    const drift = computeDrift(
      {
        ...unmanaged,
        authenticationType: "KERBEROS",
        maximumStorageMigrations: 4,
        networks: [
          { subnet: "10.0.1.0/24", priority: 2 },
          { subnet: "10.9.0.0/16", priority: null },
        ],
      },
      actual,
    );
    expect(drift.map((d) => [d.field, d.desired, d.actual])).toEqual([
      ["authenticationType", "KERBEROS", "CREDSSP"],
      ["maximumStorageMigrations", "4", "2"],
      ["networks[10.0.1.0/24]", "10.0.1.0/24 priority 2", "10.0.1.0/24 priority 1"],
      ["networks[10.9.0.0/16]", "10.9.0.0/16", null],
      ["networks[fd00:1::/64]", null, "FD00:1:0::/64"],
    ]);
  });

  it("reports a host without settings as one item", () => {
    expect(computeDrift(unmanaged, null)).toEqual([expect.objectContaining({ field: "inventory" })]);
  });
});

describe("sameDrift", () => {
  const item = { field: "maximumVirtualMachineMigrations", desired: "3", actual: "2", message: "m" };
  it("compares by value, whatever the stored keys' order (jsonb reorders them)", () => {
    const stored = [{ field: item.field, actual: "2", desired: "3", message: "m" }];
    expect(JSON.stringify([item])).not.toBe(JSON.stringify(stored));
    expect(sameDrift([item], stored)).toBe(true);
  });
  it("sees a different value, a different length, and no stored drift", () => {
    expect(sameDrift([item], [{ ...item, actual: "1" }])).toBe(false);
    expect(sameDrift([item], [])).toBe(false);
    expect(sameDrift([], [])).toBe(true);
    expect(sameDrift([], null)).toBe(false);
  });
});
