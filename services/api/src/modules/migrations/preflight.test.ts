// Preflight over plain views (no database): the issue-10 defects, and startChecks for the scheduler.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import {
  type HostView,
  type MoveRequest,
  type PreflightCheck,
  runPreflight,
  startChecks,
  type VmView,
} from "./preflight.ts";

const GiB = 1024n ** 3n;
const SERVICE = "Microsoft Virtual System Migration Service";

function host(name: string, id: string, over: Partial<HostView> = {}): HostView {
  return {
    id,
    name,
    fqdn: `${name}.corp.local`,
    domain: "corp.local",
    cpuVendor: "INTEL",
    memoryAvailableBytes: 64n * GiB,
    supportedVmVersions: ["8.0"],
    delegations: [],
    delegationsKnown: true,
    agentConnected: true,
    settings: {
      enabled: true,
      authenticationType: "KERBEROS",
      performanceOption: "TCPIP",
      useAnyNetworkForMigration: false,
    },
    migrationSubnets: ["10.0.1.0/24"],
    adapterAddresses: [`10.0.1.${id.slice(-1)}`],
    switches: ["Production"],
    firewallRules: [{ name: "VIRT-MIGL-In-TCP-NoScope", enabled: true }],
    volumes: [{ root: "D:\\", freeBytes: 500n * GiB }],
    ...over,
  };
}

const SRC_ID = "00000000-0000-4000-8000-000000000001";
const DST_ID = "00000000-0000-4000-8000-000000000002";
const vm: VmView = {
  name: "web-01",
  state: "RUNNING",
  memoryAssignedBytes: 4n * GiB,
  memoryStartupBytes: 4n * GiB,
  configurationVersion: "8.0",
  processorCompatibilityForMigration: true,
  isClustered: false,
  path: "\\\\fs01\\vms\\web-01",
  hardDrives: [{ path: "\\\\fs01\\vms\\web-01\\web-01.vhdx", sizeBytes: 40n * GiB }],
  switchNames: ["Production"],
};
const live: MoveRequest = { kind: "LIVE", destinationStoragePath: null, vhdDestinations: [] };
const full = (d: string) => ["cifs", SERVICE].flatMap((s) => [`${s}/${d}`, `${s}/${d}.corp.local`]);
const byName = (checks: PreflightCheck[], name: string) => checks.find((c) => c.name === name);

describe("runPreflight", () => {
  it("passes Kerberos with the delegation entries AD holds (issue 10: the service class never matched)", () => {
    const report = runPreflight(
      vm,
      host("HV1", SRC_ID, { delegations: full("HV2") }),
      host("HV2", DST_ID),
      live,
      null,
    );
    expect(byName(report.checks, "authentication")).toMatchObject({ status: "PASS", code: null });
    expect(report.ok).toBe(true);
  });

  it("refuses a cross-vendor move of a running VM even in compatibility mode", () => {
    const report = runPreflight(
      vm,
      host("HV1", SRC_ID, { delegations: full("HV2") }),
      host("HV2", DST_ID, { cpuVendor: "AMD" }),
      live,
      null,
    );
    expect(byName(report.checks, "processor")).toMatchObject({
      status: "FAIL",
      code: "PROCESSOR_INCOMPATIBLE",
    });
    expect(report.ok).toBe(false);
  });

  it("names the Relay id and the host in the enable-migration remedy, never the database id", () => {
    const report = runPreflight(
      vm,
      host("HV1", SRC_ID, { delegations: full("HV2") }),
      host("HV2", DST_ID, {
        settings: {
          enabled: false,
          authenticationType: "KERBEROS",
          performanceOption: "TCPIP",
          useAnyNetworkForMigration: true,
        },
      }),
      live,
      null,
    );
    const remedy = byName(report.checks, "migration enabled HV2")!.remedy!;
    const id = /enableMigration\(hosts: \["([^"]+)"\]\)/.exec(remedy)![1]!;
    expect(decodeGlobalID(id)).toEqual({ typename: "Host", id: DST_ID });
    expect(remedy).not.toContain(DST_ID);
    expect(remedy).toContain("HV2");
  });
});

describe("startChecks", () => {
  it("re-checks host state only (no Compare-VM), with the code to fail the move with", () => {
    const source = host("HV1", SRC_ID, { delegations: full("HV2") });
    const dest = host("HV2", DST_ID, { agentConnected: false, migrationSubnets: ["10.9.0.0/16"] });
    const report = startChecks(vm, source, dest, live);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => c.status === "FAIL").map((c) => [c.name, c.code])).toEqual([
      ["agent HV2", "AGENT_LOST"],
      ["migration network HV2", "NETWORK_UNREACHABLE"],
    ]);
    expect(byName(report.checks, "compare-vm")).toBeUndefined();
    expect(startChecks(vm, source, host("HV2", DST_ID), live).ok).toBe(true);
  });
});
