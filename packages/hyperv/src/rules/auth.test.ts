import { describe, expect, it } from "vitest";
import { delegationsTo, host } from "../test-facts.ts";
import {
  AUTHENTICATION_STATUS,
  authentication,
  authenticationOutcome,
  authenticationTypesMatch,
  missingDelegations,
  sameDomain,
} from "./auth.ts";

const dest = host("HV2");

describe("authentication: Kerberos constrained delegation", () => {
  it.each([
    ["the four entries delegationPlan lists", delegationsTo("HV2"), "PASS"],
    ["short names only", ["cifs/HV2", "Microsoft Virtual System Migration Service/HV2"], "PASS"],
    [
      "FQDNs only",
      ["cifs/HV2.corp.local", "Microsoft Virtual System Migration Service/HV2.corp.local"],
      "PASS",
    ],
    // Issue 10: the service class compared case-sensitively failed every Kerberos move.
    [
      "service class and host in other cases",
      ["CIFS/hv2", "microsoft virtual system migration service/HV2.CORP.LOCAL"],
      "PASS",
    ],
    ["cifs only", ["cifs/HV2", "cifs/HV2.corp.local"], "FAIL"],
    ["migration service only", ["Microsoft Virtual System Migration Service/HV2"], "FAIL"],
    ["delegation to another host", delegationsTo("HV3"), "FAIL"],
    ["nothing", [], "FAIL"],
  ] as const)("%s: %s", (_label, delegations, status) => {
    const v = authentication(host("HV1", { delegations: [...delegations] }), dest);
    expect(v.status).toBe(status);
    if (status === "FAIL") {
      expect(v.code).toBe("AUTHENTICATION_FAILED");
      expect(v.remedy).toContain('delegationPlan(hosts: ["id-HV1", "id-HV2"])');
    }
  });

  it("WARNs when the delegation entries cannot be read", () => {
    expect(authentication(host("HV1", { delegations: null }), dest)).toMatchObject({
      status: "WARN",
      code: "AUTHENTICATION_FAILED",
    });
  });

  it("lists what is missing", () => {
    expect(missingDelegations(["cifs/hv2"], { name: "HV2", fqdn: null })).toEqual([
      "Microsoft Virtual System Migration Service",
    ]);
  });
});

describe("authentication: CredSSP with an unattended agent", () => {
  it("WARNs (no sign-in on the source) and points to Kerberos with constrained delegation", () => {
    const v = authentication(host("HV1", { authenticationType: "CREDSSP" }), dest);
    expect(v).toMatchObject({ status: "WARN", code: "AUTHENTICATION_FAILED" });
    expect(v.message).toContain("signed in on HV1");
    expect(v.remedy).toContain("Kerberos with constrained delegation");
    expect(v.remedy).toContain("delegationPlan");
  });
});

describe("authentication: workgroup hosts (no Active Directory)", () => {
  it.each([
    ["CredSSP source in a workgroup", { authenticationType: "CREDSSP", domain: null }, {}, "WARN"],
    ["CredSSP to a workgroup destination", { authenticationType: "CREDSSP" }, { domain: null }, "WARN"],
    ["Kerberos source in a workgroup", { domain: null, delegations: delegationsTo("HV2") }, {}, "FAIL"],
    ["Kerberos to a workgroup destination", { delegations: delegationsTo("HV2") }, { domain: null }, "FAIL"],
  ] as const)("%s: %s, never remedied with delegation", (_label, src, dst, status) => {
    const v = authentication(host("HV1", src), host("HV2", dst));
    expect(v.status).toBe(status);
    expect(v.remedy).not.toMatch(/delegation/i);
  });
});

describe("mixed authentication", () => {
  it.each([
    ["KERBEROS", "KERBEROS", "PASS"],
    ["CREDSSP", "CREDSSP", "PASS"],
    ["KERBEROS", "CREDSSP", "WARN"],
    ["CREDSSP", "KERBEROS", "WARN"],
  ])("%s -> %s: %s (unconfirmed, so never a FAIL)", (a, b, status) => {
    const v = authenticationTypesMatch(
      host("HV1", { authenticationType: a }),
      host("HV2", { authenticationType: b }),
    );
    expect(v.status).toBe(status);
    if (status === "WARN") expect(v.message).toContain("unconfirmed");
  });
});

describe("sameDomain", () => {
  it.each([
    ["corp.local", "CORP.local", "PASS"],
    ["corp.local", "other.local", "WARN"],
    ["corp.local", null, "WARN"],
    [null, null, "WARN"],
  ])("%s / %s: %s", (a, b, status) => {
    const v = sameDomain(host("HV1", { domain: a }), host("HV2", { domain: b }));
    expect(v.status).toBe(status);
    if (a === null || b === null) expect(v.remedy).not.toMatch(/delegation/i);
  });
});

describe("authenticationOutcome: authentication's verdict without its message", () => {
  const sources = [
    host("HV1"),
    host("HV1", { delegations: delegationsTo("HV2") }),
    host("HV1", { delegations: ["cifs/hv2.corp.local", "Microsoft Virtual System Migration Service/HV2"] }),
    host("HV1", { delegations: ["cifs/HV2"] }),
    host("HV1", { delegations: null }),
    host("HV1", { authenticationType: "CREDSSP" }),
    host("HV1", { domain: null }),
  ];
  const dests = [dest, host("HV2", { fqdn: null }), host("HV2", { domain: null }), host("HV3")];
  it("gives the status authentication() gives, for every source and destination here", () => {
    const seen = new Set<string>();
    for (const s of sources)
      for (const d of dests) {
        const outcome = authenticationOutcome(s, d);
        seen.add(outcome);
        expect(AUTHENTICATION_STATUS[outcome]).toBe(authentication(s, d).status);
      }
    // Every outcome was reached, so every branch was compared.
    expect([...seen].sort()).toEqual(Object.keys(AUTHENTICATION_STATUS).sort());
  });
});
