import { describe, expect, it } from "vitest";
import {
  asArray,
  authenticationType,
  isoDate,
  parseEnvelope,
  parseEvents,
  parseInventory,
  parseJob,
  parseVm,
  performanceOption,
  vmState,
} from "./parse.ts";

describe("parseEnvelope", () => {
  it("finds the result line among terminal noise and stray output", () => {
    const stdout =
      '\u001b[?1h\u001b[?1lWARNING: x\nFERRY-RESULT:{"ok":true,"data":{"a":"\\u00e9"}}\n\u001b[?1h';
    expect(parseEnvelope(stdout)).toEqual({ ok: true, data: { a: "é" } });
  });

  it("returns the error envelope and null for no or broken results", () => {
    expect(parseEnvelope('FERRY-RESULT:{"ok":false,"error":{"message":"m"}}')).toEqual({
      ok: false,
      error: { message: "m" },
    });
    expect(parseEnvelope("At line:1 char:1\n+ ParserError")).toBeNull();
    expect(parseEnvelope('FERRY-RESULT:{"ok":tr')).toBeNull();
    expect(parseEnvelope('FERRY-RESULT:{"data":1}')).toBeNull();
  });
});

describe("Windows PowerShell 5.1 shapes", () => {
  it("reads enums written as numbers", () => {
    expect([0, 1, "CredSSP", "Kerberos"].map(authenticationType)).toEqual([
      "CREDSSP",
      "KERBEROS",
      "CREDSSP",
      "KERBEROS",
    ]);
    expect([0, 1, 2, "TCPIP", "Compression", "SMB"].map(performanceOption)).toEqual([
      "TCPIP",
      "COMPRESSION",
      "SMB",
      "TCPIP",
      "COMPRESSION",
      "SMB",
    ]);
    expect(
      [2, 3, 6, 9, 10, 32773, 32776, 32777, 32779, "Running", "Off", "FastSaved", 1].map(vmState),
    ).toEqual([
      "RUNNING",
      "OFF",
      "SAVED",
      "PAUSED",
      "STARTING",
      "SAVING",
      "PAUSING",
      "RESUMING",
      "SAVED",
      "RUNNING",
      "OFF",
      "SAVED",
      "OTHER",
    ]);
  });

  it("reads /Date(ms)/ dates and ISO dates", () => {
    expect(isoDate("/Date(1326441600000)/")).toBe("2012-01-13T08:00:00.000Z");
    expect(isoDate("/Date(1326441600000+0100)/")).toBe("2012-01-13T08:00:00.000Z");
    expect(isoDate("2024-01-01T08:00:00.1234567Z")).toBe("2024-01-01T08:00:00.123Z");
    expect(
      parseEvents([{ recordId: 3, eventId: 20415, level: 4, timeCreated: "/Date(0)/", message: "m" }]),
    ).toEqual([
      {
        recordId: 3,
        eventId: 20415,
        level: "Information",
        timeCreated: "1970-01-01T00:00:00.000Z",
        message: "m",
        vmName: null,
      },
    ]);
  });

  it("reads single objects where a list is expected, numbers as strings, TimeSpans as objects", () => {
    expect(asArray(null)).toEqual([]);
    expect(asArray({ a: 1 })).toEqual([{ a: 1 }]);
    const inv = parseInventory({
      host: {
        name: "HV1",
        fqdn: null,
        domain: "",
        cpuManufacturer: "AuthenticAMD",
        cpuModel: "EPYC",
        logicalProcessorCount: 8,
        memoryCapacityBytes: "68719476736",
        memoryAvailableBytes: 1024,
        supportedVmVersions: "8.0",
        virtualMachinePath: "D:\\VMs",
        virtualHardDiskPath: "D:\\VMs",
        delegations: null,
      },
      settings: {
        enabled: true,
        authenticationType: 1,
        performanceOption: 2,
        maximumVirtualMachineMigrations: 2,
        maximumStorageMigrations: 2,
        useAnyNetworkForMigration: false,
        networks: { subnet: "10.0.0.0/24", priority: null },
      },
      switches: { name: "Production", switchType: 2 },
      networkAdapters: [],
      firewallRules: {
        name: "VIRT-MIGL-In-TCP-NoScope",
        displayName: "x",
        enabled: 2,
        protocol: "TCP",
        localPort: "6600",
      },
      vms: {
        vmId: "0A1B2C3D-0000-4000-8000-000000000001",
        name: "web",
        state: 2,
        status: "Operating normally",
        cpuUsage: 3,
        memoryAssignedBytes: 1073741824,
        memoryStartupBytes: "1073741824",
        uptimeSeconds: { TotalSeconds: 12.7 },
        generation: 2,
        configurationVersion: "8.0",
        processorCompatibilityForMigration: false,
        isClustered: true,
        path: "D:\\VMs\\web",
        hardDrives: { path: "D:\\VMs\\web\\web.vhdx", sizeBytes: 5 },
        switchNames: "Production",
      },
    });
    expect(inv.host).toMatchObject({ cpuVendor: "AMD", memoryCapacityBytes: 68719476736n, domain: null });
    expect(inv.host.supportedVmVersions).toEqual(["8.0"]);
    expect(inv.settings).toMatchObject({ authenticationType: "KERBEROS", performanceOption: "SMB" });
    expect(inv.settings.networks).toEqual([{ subnet: "10.0.0.0/24", priority: null }]);
    expect(inv.switches).toEqual([{ name: "Production", switchType: "External" }]);
    expect(inv.firewallRules[0]!.enabled).toBe(false);
    expect(inv.vms[0]).toMatchObject({
      vmId: "0a1b2c3d-0000-4000-8000-000000000001",
      state: "RUNNING",
      uptimeSeconds: 12,
      memoryStartupBytes: 1073741824n,
      hardDrives: [{ path: "D:\\VMs\\web\\web.vhdx", sizeBytes: 5n }],
      switchNames: ["Production"],
      isClustered: true,
    });
  });

  it("reads Get-VM IsClustered (false when an older script does not send it)", () => {
    const vm = {
      vmId: "0A1B2C3D-0000-4000-8000-000000000001",
      name: "ha",
      state: "Off",
      hardDrives: [],
      switchNames: [],
    };
    expect(parseVm({ ...vm, isClustered: true }).isClustered).toBe(true);
    expect(parseVm({ ...vm, isClustered: "True" }).isClustered).toBe(true);
    expect(parseVm(vm).isClustered).toBe(false);
  });
});

describe("parseJob", () => {
  const base = {
    jobId: "J",
    jobType: 305,
    vmId: "ABC",
    percentComplete: 40,
    errorCode: 0,
    errorDescription: null,
  };
  it("maps Msvm_MigrationJob states and types", () => {
    expect(parseJob({ ...base, jobState: 4 })).toEqual({
      jobId: "J",
      kind: "LIVE",
      vmId: "abc",
      state: "RUNNING",
      percentComplete: 40,
      error: null,
    });
    expect(parseJob({ ...base, jobType: 306, jobState: 7 })).toMatchObject({
      kind: "LIVE_WITH_STORAGE",
      state: "COMPLETED",
      percentComplete: 100,
    });
    expect(parseJob({ ...base, jobType: 307, jobState: "Terminated" })).toMatchObject({
      kind: "STORAGE",
      state: "CANCELLED",
      error: { code: "CANCELLED" },
    });
    expect(
      parseJob({
        ...base,
        jobState: 10,
        errorCode: 32768,
        errorDescription: "Could not find Ethernet switch 'Lab'.",
      }),
    ).toMatchObject({ state: "FAILED", error: { code: "SWITCH_NOT_FOUND", eventId: 21125 } });
    expect(parseJob({ ...base, jobState: 7, errorCode: 5 })).toMatchObject({
      state: "FAILED",
      error: { code: "UNKNOWN" },
    });
  });
});
