// Host.readiness: the checks of readiness.ts over the stored inventory. The fleet (for the checks
// that compare hosts) is loaded once per request, however many hosts the query lists.
import { builder } from "../../builder.ts";
import { isAgentLive } from "../agents/presence.ts";
import { loadFleet } from "../hosts/fleet.ts";
import { HostType } from "../hosts/schema.ts";
import { CheckStatus } from "../shared/checks.ts";
import { computeReadiness, type ReadinessCheck } from "./readiness.ts";

/** What computeReadiness reads of a host: Host.readiness and the readiness signal select the same. */
export const READINESS_HOST_SELECT = {
  id: true,
  name: true,
  fqdn: true,
  domain: true,
  cpuVendor: true,
  agentConnected: true,
  agentLastSeenAt: true,
  delegations: true,
  delegationsKnown: true,
  migrationSettings: true,
  migrationNetworks: { select: { subnet: true, priority: true } },
  firewallRules: { select: { name: true, enabled: true } },
  networkAdapters: { select: { name: true, linkSpeedBps: true, rdmaCapable: true, ipAddresses: true } },
} as const;

const ReadinessCheckType = builder.objectRef<ReadinessCheck>("ReadinessCheck").implement({
  description:
    "One prerequisite of live migration for a host, decided by the same Hyper-V rules as migration preflight (docs/hyperv.md).",
  fields: (t) => ({
    name: t.exposeString("name", {
      description:
        "Stable check name: agentConnected, migrationEnabled, migrationNetworks, liveMigrationFirewallRule, smbFirewallRule, authenticationConsistent, kerberosDelegation, sameDomain, migrationLinkSpeed, smbRdma, cpuVendorPeers (inventoryReported before the first report).",
    }),
    status: t.field({ type: CheckStatus, description: "PASS, WARN or FAIL.", resolve: (c) => c.status }),
    message: t.exposeString("message", { description: "What was found." }),
    remedy: t.exposeString("remedy", { nullable: true, description: "How to fix it; null when it passes." }),
  }),
});

// Every host's identity, loaded once per request (or taken from a `hosts` page that read them all).
export { loadFleet } from "../hosts/fleet.ts";

builder.prismaObjectFields(HostType, (t) => ({
  readiness: t.field({
    type: [ReadinessCheckType],
    description:
      "Is this host ready to send and receive live migrations, and why not: one check per prerequisite, with a remedy for each WARN/FAIL.",
    select: READINESS_HOST_SELECT,
    resolve: async (h, _args, ctx) =>
      computeReadiness(
        {
          ...h,
          agentConnected: isAgentLive(h),
          settings: h.migrationSettings,
          networks: h.migrationNetworks,
          adapters: h.networkAdapters,
        },
        await loadFleet(ctx),
      ),
  }),
}));
