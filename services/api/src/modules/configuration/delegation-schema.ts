// Query.delegationPlan: the constrained-delegation entries for every ordered pair of hosts and one
// script for a domain controller (docs/hyperv.md "Authentication").
import { GraphQLError } from "graphql";
import { builder } from "../../builder.ts";
import { HostType } from "../hosts/schema.ts";
import { decodeId } from "../shared/ids.ts";
import {
  buildDelegationPlan,
  type DelegationEntry,
  type DelegationHost,
  type DelegationPair,
  type DelegationPlan,
  type ProtocolTransitionStep,
} from "./delegation.ts";

const DelegationStatus = builder.enumType("DelegationStatus", {
  description: "Whether an entry is already on the source's AD computer object.",
  values: {
    PRESENT: { description: "The agent read it on the source's computer object." },
    MISSING: { description: "The agent read the object and the entry is not there." },
    UNKNOWN: { description: "The source's agent cannot read its AD object." },
  },
});

const hostField = (description: string) => ({ type: HostType, description });

const DelegationEntryType = builder.objectRef<DelegationEntry>("DelegationEntry").implement({
  description: "One msDS-AllowedToDelegateTo value on the source's computer object.",
  fields: (t) => ({
    service: t.exposeString("service", {
      description: "cifs or Microsoft Virtual System Migration Service.",
    }),
    target: t.exposeString("target", { description: "The destination's short name or FQDN." }),
    value: t.exposeString("value", { description: "The attribute value, service/target." }),
    status: t.field({
      type: DelegationStatus,
      description: "Present, missing or unknown.",
      resolve: (e) => e.status,
    }),
  }),
});

const DelegationPairType = builder.objectRef<DelegationPair>("DelegationPair").implement({
  description: "What the source needs so moves to the destination authenticate with Kerberos.",
  fields: (t) => ({
    source: t.field({
      ...hostField("The host whose computer object gets the entries."),
      resolve: (p) => hostRow(p.source),
    }),
    destination: t.field({ ...hostField("The host moves go to."), resolve: (p) => hostRow(p.destination) }),
    entries: t.field({
      type: [DelegationEntryType],
      description: "cifs and the migration service, short name and FQDN (4 entries when the FQDN is known).",
      resolve: (p) => p.entries,
    }),
    complete: t.boolean({
      description: "Every entry is PRESENT.",
      resolve: (p) => p.entries.every((e) => e.status === "PRESENT"),
    }),
  }),
});

const ProtocolTransitionType = builder.objectRef<ProtocolTransitionStep>("ProtocolTransitionStep").implement({
  description:
    "Protocol transition ('use any authentication protocol'), which Windows Server 2016 needs for constrained delegation.",
  fields: (t) => ({
    host: t.field({
      ...hostField("The host whose computer object needs it."),
      resolve: (s) => hostRow(s.host),
    }),
    command: t.exposeString("command", { description: "The Set-ADAccountControl command, values quoted." }),
    status: t.field({
      type: DelegationStatus,
      description: "Always UNKNOWN: agents do not report userAccountControl.",
      resolve: (s) => s.status,
    }),
  }),
});

const DelegationPlanType = builder.objectRef<DelegationPlan>("DelegationPlan").implement({
  description:
    "Kerberos constrained delegation for live migration between the selected hosts (msDS-AllowedToDelegateTo on each source's computer object, set with Set-ADObject on a domain controller).",
  fields: (t) => ({
    hosts: t.field({
      type: [HostType],
      description: "The selected hosts.",
      resolve: (p) => p.hosts.map(hostRow),
    }),
    pairs: t.field({
      type: [DelegationPairType],
      description: "Every ordered pair (source, destination) of distinct selected hosts.",
      resolve: (p) => p.pairs,
    }),
    protocolTransition: t.field({
      type: [ProtocolTransitionType],
      description: "Set-ADAccountControl -TrustedToAuthForDelegation for every selected host.",
      resolve: (p) => p.protocolTransition,
    }),
    script: t.exposeString("script", {
      description:
        "One PowerShell script for a domain controller (ActiveDirectory module, domain admin): adds the missing entries and enables protocol transition. Idempotent; every value is single-quoted.",
    }),
    ticketRefreshNote: t.exposeString("ticketRefreshNote", {
      description: "When the hosts see the change: klist purge -li 0x3e7, or about 15 minutes.",
    }),
    complete: t.boolean({
      description: "Every entry of every pair is PRESENT (protocol transition cannot be checked).",
      resolve: (p) => p.pairs.every((pair) => pair.entries.every((e) => e.status === "PRESENT")),
    }),
    warnings: t.exposeStringList("warnings", { description: "Gaps in the plan, e.g. a host without FQDN." }),
  }),
});

/** The plan holds the loaded host rows; Host fields resolve from them (fallback queries for relations). */
const hostRow = (h: DelegationHost) => h as unknown as typeof HostType.$inferType;

builder.queryField("delegationPlan", (t) =>
  t.field({
    type: DelegationPlanType,
    description:
      "The constrained-delegation entries (cifs and Microsoft Virtual System Migration Service) for every ordered pair of these hosts, and a script to apply them on a domain controller. A read (nothing changes): VIEWER.",
    authScopes: { viewer: true },
    args: { hosts: t.arg.idList({ required: true, description: "Global ids of at least two hosts." }) },
    resolve: async (_root, args, ctx) => {
      const ids = args.hosts.map((id, i) => decodeId("Host", String(id), `hosts[${i}]`));
      if (new Set(ids).size !== ids.length) throw badInput("hosts: a host is listed twice");
      if (ids.length < 2) throw badInput("hosts: name at least two hosts");
      if (ids.length > 200) throw badInput("hosts: at most 200 hosts per plan");
      const rows = await ctx.app.db.prisma.host.findMany({ where: { id: { in: ids } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      const missing = args.hosts.filter((_id, i) => !byId.has(ids[i]!));
      if (missing.length > 0) throw badInput(`hosts: not found: ${missing.join(", ")}`);
      return buildDelegationPlan(ids.map((id) => byId.get(id)!));
    },
  }),
);

function badInput(message: string) {
  return new GraphQLError(message, { extensions: { code: "BAD_USER_INPUT" } });
}
