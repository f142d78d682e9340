import { describe, expect, it } from "vitest";
import { host } from "../test-facts.ts";
import { firewallRule, MIGRATION_RULE, SMB_RULE } from "./firewall.ts";

describe("firewallRule (matched by Name, not the localized DisplayName)", () => {
  it.each([
    [MIGRATION_RULE, [{ name: MIGRATION_RULE, enabled: true }], "PASS"],
    [MIGRATION_RULE, [{ name: MIGRATION_RULE.toLowerCase(), enabled: true }], "PASS"],
    [MIGRATION_RULE, [{ name: MIGRATION_RULE, enabled: false }], "FAIL"],
    [MIGRATION_RULE, [{ name: "Hyper-V (MIG-TCP-In)", enabled: true }], "WARN"],
    [SMB_RULE, [], "WARN"],
    [SMB_RULE, [{ name: SMB_RULE, enabled: false }], "FAIL"],
  ] as const)("%s with %j: %s", (rule, rules, status) => {
    const v = firewallRule(host("HV2", { firewallRules: [...rules] }), rule);
    expect(v.status).toBe(status);
    if (status === "FAIL")
      expect(v).toMatchObject({
        code: "NETWORK_REFUSED",
        remedy: `Enable-NetFirewallRule -Name '${rule}' on HV2.`,
      });
  });
});
