import { describe, expect, it } from "vitest";
import { host, vm } from "../test-facts.ts";
import { clustered, configurationVersion, memory, processor, switches } from "./vm.ts";

const GiB = 1024n ** 3n;

describe("processor", () => {
  const intel = host("HV1");
  const amd = host("HV3", { cpuVendor: "AMD" });
  it.each([
    ["RUNNING", false, intel, amd, "FAIL"],
    // Issue 10: compatibility mode does not cross vendors.
    ["RUNNING", true, intel, amd, "FAIL"],
    ["PAUSED", true, amd, intel, "FAIL"],
    ["SAVED", true, intel, amd, "FAIL"],
    ["OFF", false, intel, amd, "PASS"],
    ["RUNNING", false, intel, host("HV2"), "PASS"],
    ["RUNNING", false, intel, host("HV4", { cpuVendor: "OTHER" }), "WARN"],
  ] as const)("%s VM, compatibility %s, %s -> %s: %s", (state, compat, source, dest, status) => {
    const v = processor(vm({ state, processorCompatibilityForMigration: compat }), source, dest);
    expect(v.status).toBe(status);
    if (status === "FAIL") {
      expect(v.code).toBe("PROCESSOR_INCOMPATIBLE");
      expect(v.message).toContain("with or without processor compatibility mode");
      expect(v.remedy).not.toMatch(/setProcessorCompatibility|CompatibilityForMigrationEnabled/);
    }
  });
});

describe("configurationVersion", () => {
  it("FAILs an unsupported version, and the remedy is a destination that supports it (never Update-VMVersion)", () => {
    const v = configurationVersion(
      vm({ configurationVersion: "8.0" }),
      host("HV8", { supportedVmVersions: ["5.0"] }),
    );
    expect(v).toMatchObject({ status: "FAIL", code: "INVALID_VM_STATE" });
    expect(v.remedy).toContain("destination that supports version 8.0");
    expect(v.remedy).not.toContain("Update-VMVersion");
    expect(
      configurationVersion(vm({ configurationVersion: "5.0" }), host("HV8", { supportedVmVersions: ["5.0"] }))
        .status,
    ).toBe("PASS");
    expect(configurationVersion(vm(), host("HV8", { supportedVmVersions: [] })).status).toBe("WARN");
  });
});

describe("switches and memory", () => {
  it.each([
    [["Production"], ["production"], "PASS"],
    [["Production", "DMZ"], ["Production"], "FAIL"],
    [[], [], "PASS"],
  ])("VM on %j, destination has %j: %s", (vmSwitches, hostSwitches, status) => {
    expect(switches(vm({ switchNames: vmSwitches }), host("HV2", { switches: hostSwitches })).status).toBe(
      status,
    );
  });

  it.each([
    ["RUNNING", 4n, 0n, 3n, "FAIL"],
    ["RUNNING", 4n, 0n, 4n, "PASS"],
    ["RUNNING", 0n, 8n, 4n, "FAIL"],
    ["PAUSED", 4n, 4n, 1n, "FAIL"],
    ["OFF", 0n, 16n, 1n, "PASS"],
    ["SAVED", 0n, 16n, 1n, "PASS"],
  ] as const)(
    "%s VM assigned %s GiB startup %s GiB, %s GiB free: %s",
    (state, assigned, startup, free, status) => {
      const v = memory(
        vm({ state, memoryAssignedBytes: assigned * GiB, memoryStartupBytes: startup * GiB }),
        host("HV2", { memoryAvailableBytes: free * GiB }),
      );
      expect(v.status).toBe(status);
      if (status === "FAIL") expect(v.code).toBe("INSUFFICIENT_MEMORY");
    },
  );
});

describe("clustered", () => {
  it("FAILs a clustered VM with the cluster cmdlet as remedy", () => {
    const v = clustered(vm({ isClustered: true }));
    expect(v.status).toBe("FAIL");
    expect(v.remedy).toContain("Move-ClusterVirtualMachineRole");
    expect(clustered(vm()).status).toBe("PASS");
  });
});
