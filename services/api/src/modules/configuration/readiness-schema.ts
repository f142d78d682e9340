// Host.readiness: the checks of readiness.ts over the stored inventory. The fleet (for the checks
// that compare hosts) is loaded once per request, however many hosts the query lists.
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import { isAgentLive } from "../agents/presence.ts";
import { HostType } from "../hosts/schema.ts";
import { CheckStatus } from "../shared/checks.ts";
import { computeReadiness, type FleetHost, type ReadinessCheck } from "./readiness.ts";

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

const fleets = new WeakMap<Context, Promise<FleetHost[]>>();

/** Every host's identity, domain, vendor and authentication, once per request. */
export function loadFleet(ctx: Context): Promise<FleetHost[]> {
  let fleet = fleets.get(ctx);
  if (!fleet) {
    fleet = ctx.app.db.prisma.host
      .findMany({
        select: {
          id: true,
          name: true,
          fqdn: true,
          domain: true,
          cpuVendor: true,
          migrationSettings: { select: { authenticationType: true } },
        },
        orderBy: { name: "asc" },
      })
      .then((rows) =>
        rows.map((r) => ({
          id: r.id,
          name: r.name,
          fqdn: r.fqdn,
          domain: r.domain,
          cpuVendor: r.cpuVendor,
          authenticationType: r.migrationSettings?.authenticationType ?? null,
        })),
      );
    fleets.set(ctx, fleet);
  }
  return fleet;
}

/**
 * Readiness's fleet from a request that already read every host with its settings (the `hosts`
 * page, hosts/page.ts): one statement less. A fleet loaded before in the request stays.
 */
export function primeFleet(
  ctx: Context,
  hosts: {
    id: string;
    name: string;
    fqdn: string | null;
    domain: string | null;
    cpuVendor: string;
    migrationSettings: { authenticationType: string } | null;
  }[],
): void {
  if (fleets.has(ctx)) return;
  fleets.set(
    ctx,
    Promise.resolve(
      hosts.map((r) => ({
        id: r.id,
        name: r.name,
        fqdn: r.fqdn,
        domain: r.domain,
        cpuVendor: r.cpuVendor,
        authenticationType: r.migrationSettings?.authenticationType ?? null,
      })),
    ),
  );
}

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
