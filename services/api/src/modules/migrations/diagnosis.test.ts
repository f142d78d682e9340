// Issue 10: diagnoses that follow the hosts' configuration and remedies usable as written.
import { decodeGlobalID, encodeGlobalID } from "@pothos/plugin-relay";
import { describe, expect, it } from "vitest";
import { type DiagnosisHost, diagnose } from "./diagnosis.ts";

const SRC_ID = "0b7f6c1e-1111-4111-8111-111111111111";
const host = (name: string, over: Partial<DiagnosisHost> = {}): DiagnosisHost => ({
  name,
  apiId: encodeGlobalID("Host", name === "HV1" ? SRC_ID : "0b7f6c1e-2222-4222-8222-222222222222"),
  domain: "corp.local",
  cpuVendor: "INTEL",
  authenticationType: "CREDSSP",
  ...over,
});

describe("diagnose", () => {
  it("points 'The Virtual Machine Management service is not available' to vmms, not PowerShell", () => {
    const d = diagnose("BACKEND_UNAVAILABLE", {
      message: "The Virtual Machine Management service is not available.",
      source: host("HV1"),
    });
    expect(d.diagnosis).toContain("vmms");
    expect(d.remedy).toContain("Start-Service vmms");
    expect(d.remedy).not.toMatch(/PowerShell module/);
  });

  it.each([
    ["CREDSSP", "CREDSSP"],
    ["CREDSSP", "KERBEROS"],
    ["KERBEROS", "KERBEROS"],
  ])("AUTHENTICATION_FAILED for %s -> %s never says to switch to CredSSP", (a, b) => {
    const d = diagnose("AUTHENTICATION_FAILED", {
      source: host("HV1", { authenticationType: a }),
      destination: host("HV2", { authenticationType: b }),
    });
    expect(d.remedy).not.toMatch(/authenticationType: CREDSSP|switch .*to CredSSP/i);
    expect(d.diagnosis).toContain(a === "KERBEROS" ? "constrained delegation" : "signed in on HV1");
    expect(d.remedy).toContain("delegationPlan");
  });

  it("AUTHENTICATION_FAILED between workgroup hosts offers no Kerberos delegation", () => {
    const d = diagnose("AUTHENTICATION_FAILED", {
      source: host("HV1", { domain: null }),
      destination: host("HV2", { domain: null }),
    });
    expect(d.remedy).not.toMatch(/delegation/i);
  });

  it("PROCESSOR_INCOMPATIBLE says cross-vendor moves are impossible, compatibility mode included", () => {
    const d = diagnose("PROCESSOR_INCOMPATIBLE", {
      source: host("HV1"),
      destination: host("HV2", { cpuVendor: "AMD" }),
      vm: { name: "web-01", apiId: null },
    });
    expect(d.diagnosis).toContain("impossible, with or without processor compatibility mode");
    expect(d.remedy).not.toContain("setProcessorCompatibility");
    expect(diagnose("PROCESSOR_INCOMPATIBLE").diagnosis).toContain("impossible");
  });

  it("MIGRATION_DISABLED names the hosts and gives Relay ids the API decodes", () => {
    const d = diagnose("MIGRATION_DISABLED", { source: host("HV1"), destination: host("HV2") });
    const ids = [...d.remedy.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    expect(decodeGlobalID(ids[0]!)).toEqual({ typename: "Host", id: SRC_ID });
    expect(d.remedy).toContain("HV1 and HV2");
    expect(d.remedy).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it("INVALID_VM_STATE never advises Update-VMVersion", () => {
    expect(diagnose("INVALID_VM_STATE").remedy).not.toContain("Update-VMVersion");
    expect(diagnose("INVALID_VM_STATE").remedy).toContain("can only be raised");
  });
});

describe("diagnose with the move's rule verdicts", () => {
  it("leads with the @ferry/hyperv rule that reproduces the failure, and falls back to the catalog", () => {
    const verdicts = [
      { status: "PASS" as const, message: "fine", remedy: null, code: null },
      {
        status: "FAIL" as const,
        message: "Live migration is not enabled on HV2.",
        remedy: 'enableMigration(hosts: ["x"]) for HV2',
        code: "MIGRATION_DISABLED" as const,
      },
    ];
    const d = diagnose("MIGRATION_DISABLED", { verdicts });
    expect(d.diagnosis).toContain("Now: Live migration is not enabled on HV2.");
    expect(d.remedy).toBe('enableMigration(hosts: ["x"]) for HV2');
    expect(diagnose("SWITCH_NOT_FOUND", { verdicts }).remedy).toContain("New-VMSwitch");
  });
});
