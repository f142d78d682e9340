// Host/VM situations for the rule-agreement test: one Kerberos and one CredSSP source, and one
// destination per Hyper-V rule, each broken in exactly one way.

import type { HostDefinition, WorldDefinition } from "@ferry/agent/simulator";
import { GiB, testHost, testVm } from "../helpers/sim-world.ts";

export interface Situation {
  label: string;
  vm: string;
  source: "KS" | "CS";
  dest: string;
  /** The preflight check that decides it. */
  check: string;
  status: "PASS" | "WARN" | "FAIL";
  /** The failure code (WARN/FAIL). */
  code: string | null;
  /** The readiness check that must say the same, on which host, naming which host; null when it is VM-level. */
  readiness: { host: string; check: string; mentions?: string } | null;
}

export const SITUATIONS: Situation[] = [
  {
    label: "Kerberos, delegation in other letter cases",
    vm: "ok",
    source: "KS",
    dest: "D-OK",
    check: "authentication",
    status: "PASS",
    code: null,
    readiness: null,
  },
  {
    label: "destination migration disabled",
    vm: "off-dest",
    source: "KS",
    dest: "D-OFF",
    check: "migration enabled D-OFF",
    status: "FAIL",
    code: "MIGRATION_DISABLED",
    readiness: { host: "D-OFF", check: "migrationEnabled" },
  },
  {
    label: "destination without usable migration network",
    vm: "nonet",
    source: "KS",
    dest: "D-NONET",
    check: "migration network D-NONET",
    status: "FAIL",
    code: "NETWORK_UNREACHABLE",
    readiness: { host: "D-NONET", check: "migrationNetworks" },
  },
  {
    label: "Intel -> AMD with processor compatibility",
    vm: "compat",
    source: "KS",
    dest: "D-AMD",
    check: "processor",
    status: "FAIL",
    code: "PROCESSOR_INCOMPATIBLE",
    readiness: { host: "KS", check: "cpuVendorPeers", mentions: "never to D-AMD" },
  },
  {
    label: "destination firewall rule disabled",
    vm: "fw",
    source: "KS",
    dest: "D-FW",
    check: "firewall live migration",
    status: "FAIL",
    code: "NETWORK_REFUSED",
    readiness: { host: "D-FW", check: "liveMigrationFirewallRule" },
  },
  {
    label: "Kerberos without delegation",
    vm: "nodeleg",
    source: "KS",
    dest: "D-NODELEG",
    check: "authentication",
    status: "FAIL",
    code: "AUTHENTICATION_FAILED",
    readiness: { host: "KS", check: "kerberosDelegation", mentions: "D-NODELEG" },
  },
  {
    label: "CredSSP with an unattended agent",
    vm: "cred",
    source: "CS",
    dest: "D-CRED",
    check: "authentication",
    status: "WARN",
    code: "AUTHENTICATION_FAILED",
    readiness: { host: "CS", check: "kerberosDelegation" },
  },
  {
    label: "CredSSP source, Kerberos destination",
    vm: "mixed",
    source: "CS",
    dest: "D-OK",
    check: "authentication types",
    status: "WARN",
    code: "AUTHENTICATION_FAILED",
    readiness: { host: "CS", check: "authenticationConsistent", mentions: "D-OK" },
  },
  {
    label: "clustered VM",
    vm: "clustered",
    source: "KS",
    dest: "D-OK",
    check: "clustered",
    status: "FAIL",
    code: "INVALID_VM_STATE",
    readiness: null,
  },
];

const DESTS = ["D-OK", "D-OFF", "D-NONET", "D-AMD", "D-FW", "D-NODELEG", "D-CRED"];

/** KS may delegate to every destination but D-NODELEG, written in other cases than AD's. */
function ksDelegations(): string[] {
  return DESTS.filter((d) => d !== "D-NODELEG").flatMap((d) => [
    `CIFS/${d.toLowerCase()}`,
    `microsoft virtual system migration service/${d}.CORP.LOCAL`,
  ]);
}

export function situationWorld(): WorldDefinition {
  const host = (name: string, octet: number, edit: (h: HostDefinition) => void = () => {}) => {
    const h = testHost(name, octet);
    h.settings.authenticationType = "KERBEROS";
    edit(h);
    return h;
  };
  const vm = (name: string, n: number, over: Parameters<typeof testVm>[2] = {}) =>
    testVm(name, `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, "0")}`, {
      memoryAssignedBytes: 1n * GiB,
      memoryStartupBytes: 1n * GiB,
      ...over,
    });
  const ks = host("KS", 20);
  ks.vms = SITUATIONS.filter((s) => s.source === "KS").map((s, i) =>
    vm(s.vm, i + 1, {
      processorCompatibilityForMigration: s.vm === "compat",
      isClustered: s.vm === "clustered",
    }),
  );
  const cs = host("CS", 21, (h) => {
    h.settings.authenticationType = "CREDSSP";
  });
  cs.vms = SITUATIONS.filter((s) => s.source === "CS").map((s, i) => vm(s.vm, 50 + i));
  const dests = [
    host("D-OK", 30),
    host("D-OFF", 31, (h) => {
      h.settings.enabled = false;
    }),
    host("D-NONET", 32, (h) => {
      h.settings.networks = [{ subnet: "10.9.9.0/24", priority: 1 }];
    }),
    host("D-AMD", 33, (h) => {
      h.facts.cpuVendor = "AMD";
      h.facts.cpuModel = "AMD EPYC 7302 16-Core Processor";
    }),
    host("D-FW", 34, (h) => {
      h.firewallRules = h.firewallRules.map((r) =>
        r.name === "VIRT-MIGL-In-TCP-NoScope" ? { ...r, enabled: false } : r,
      );
    }),
    host("D-NODELEG", 35),
    host("D-CRED", 36, (h) => {
      h.settings.authenticationType = "CREDSSP";
    }),
  ];
  return {
    seed: 10,
    timeScale: 200,
    hosts: [ks, cs, ...dests],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 10_000n * GiB }],
    delegations: Object.fromEntries([
      ["KS", ksDelegations()],
      ["CS", []],
      ...dests.map((d) => [d.facts.name, []]),
    ]),
  };
}
