// GraphQL surface of the Hyper-V event stream: HostEvent, hostEvents (query and subscription), and
// the agent-only agentReportEvents mutation.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import { filterAsync } from "../shared/async.ts";
import { forbidden } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { type EVENT_LEVELS, hostEventWhere, ingestEvents } from "./service.ts";

const HostEventLevel = builder.enumType("HostEventLevel", {
  description: "Windows event level.",
  values: {
    CRITICAL: { description: "Critical." },
    ERROR: { description: "Error, e.g. 21502 live migration failed." },
    WARNING: { description: "Warning, e.g. 20417 long blackout." },
    INFORMATION: { description: "Information, e.g. a completed migration." },
    VERBOSE: { description: "Verbose." },
  } satisfies Record<(typeof EVENT_LEVELS)[number], { description: string }>,
});

export const HostEventType = builder.prismaNode("HostEvent", {
  description:
    "A Microsoft-Windows-Hyper-V-VMMS-Admin record as the host's agent reported it (Get-WinEvent).",
  id: { field: "id" },
  fields: (t) => ({
    host: t.relation("host", { description: "The host whose log holds the record." }),
    recordId: t.expose("recordId", {
      type: "BigInt",
      description: "The record id in the host's log (grows per host).",
    }),
    eventId: t.exposeInt("eventId", {
      description:
        "Hyper-V event id, e.g. 21502 (migration failed), 21125 (switch not found), 20417 (long blackout).",
    }),
    level: t.field({
      type: HostEventLevel,
      description: "Event level.",
      select: { level: true },
      resolve: (e) => e.level as (typeof EVENT_LEVELS)[number],
    }),
    timeCreated: t.expose("timeCreated", { type: "DateTime", description: "When Hyper-V logged it." }),
    message: t.exposeString("message", { description: "The event's message text." }),
    vmName: t.exposeString("vmName", { nullable: true, description: "The VM the event names, if any." }),
    migrationId: t.id({
      nullable: true,
      description: "Global id of the Ferry migration this event concerns, when Ferry could link it.",
      select: { migrationId: true },
      resolve: (e) => (e.migrationId ? encodeGlobalID("Migration", e.migrationId) : null),
    }),
  }),
});

const HostEventFilter = builder.inputType("HostEventFilter", {
  description: "Filters for host events; all given conditions must hold.",
  fields: (t) => ({
    host: t.id({ description: "Only this host (global id)." }),
    eventId: t.int({ description: "Only this Hyper-V event id." }),
    eventIds: t.intList({ description: "Only these Hyper-V event ids." }),
    level: t.field({ type: HostEventLevel, description: "Only this level." }),
    levels: t.field({ type: [HostEventLevel], description: "Only these levels." }),
    since: t.field({ type: "DateTime", description: "Logged at or after this instant." }),
    until: t.field({ type: "DateTime", description: "Logged before this instant." }),
    migration: t.id({ description: "Only events linked to this migration (global id)." }),
    vmName: t.string({ description: "Only events naming this VM (exact)." }),
  }),
});

const HostEventConnection = builder.connectionObject({
  type: HostEventType,
  name: "HostEventConnection",
  description: "A page of host events.",
});

builder.queryField("hostEvents", (t) =>
  t.prismaConnection(
    {
      type: "HostEvent",
      cursor: "id",
      description: "Hyper-V-VMMS-Admin events the agents reported, newest first.",
      authScopes: { viewer: true },
      args: { filter: t.arg({ type: HostEventFilter, description: "Filter the events." }) },
      totalCount: (_parent, args, ctx) =>
        ctx.app.db.prisma.hostEvent.count({ where: hostEventWhere(args.filter) }),
      resolve: (query, _parent, args, ctx) =>
        ctx.app.db.prisma.hostEvent.findMany({
          ...query,
          where: hostEventWhere(args.filter),
          orderBy: [{ timeCreated: "desc" }, { id: "desc" }],
        }),
    },
    HostEventConnection,
  ),
);

builder.subscriptionField("hostEvents", (t) =>
  t.prismaField({
    type: "HostEvent",
    description: "Hyper-V-VMMS-Admin events as the agents report them.",
    authScopes: { viewer: true },
    args: { host: t.arg.id({ description: "Only this host (global id); all hosts when omitted." }) },
    subscribe: (_parent, args, ctx) => {
      const only = args.host ? decodeId("Host", String(args.host), "host") : null;
      return filterAsync(
        ctx.app.pubsub.subscribe("hostEventStored"),
        (e) => only === null || e.hostId === only,
      );
    },
    resolve: (query, payload, _args, ctx) =>
      ctx.app.db.prisma.hostEvent.findUniqueOrThrow({
        ...query,
        where: { id: BigInt((payload as unknown as { eventRowId: string }).eventRowId) },
      }),
  }),
);

function agentOf(ctx: Context) {
  if (ctx.principal?.kind !== "agent") throw forbidden("agent credential required");
  return ctx.principal;
}

const AgentReportEventsInput = builder.inputType("AgentReportEventsInput", {
  description: "A batch of the agent's own host's Hyper-V-VMMS-Admin records, oldest first (at most 500).",
  fields: (t) => ({
    events: t.field({
      type: "JSON",
      required: true,
      description:
        "[{ recordId, eventId, level, timeCreated, message, vmName }] (agent protocol v1); [] to read the bookmark.",
    }),
  }),
});

const AgentReportEventsPayload = payloadType<{ stored: number; bookmark: bigint | null }>(
  "AgentReportEventsPayload",
  "How many records were new, and where the agent continues.",
  (t) => ({
    stored: t.int({
      nullable: true,
      description: "Records stored now (resent ones are skipped).",
      resolve: (p) => p.data?.stored ?? null,
    }),
    bookmark: t.field({
      type: "BigInt",
      nullable: true,
      description: "Highest record id stored for the host; read after it next. Null when none yet.",
      resolve: (p) => p.data?.bookmark ?? null,
    }),
  }),
);

builder.mutationField("agentReportEvents", (t) =>
  t.field({
    type: AgentReportEventsPayload,
    description:
      "Agent only: stores Hyper-V events of the agent's own host (idempotent per record id) and returns the bookmark to continue from.",
    authScopes: { agent: true },
    args: { input: t.arg({ type: AgentReportEventsInput, required: true, description: "The batch." }) },
    resolve: (_root, { input }, ctx) => {
      const agent = agentOf(ctx);
      return runMutation(ctx, { operation: "agentReportEvents", target: agent.hostName }, () =>
        ingestEvents(ctx.app, agent.hostId, input.events),
      );
    },
  }),
);
