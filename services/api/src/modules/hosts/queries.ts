// Root queries and subscriptions for hosts.
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import { filterAsync } from "../shared/async.ts";
import { decodeId } from "../shared/ids.ts";
import { primeFleet } from "./fleet.ts";
import { hostsPage, hostsPlan } from "./page.ts";
import { HostFilter, HostType, hostWhere } from "./schema.ts";

const HostConnection = builder.connectionObject({
  type: HostType,
  name: "HostConnection",
  description: "A page of hosts.",
});

/** How many hosts there are, known without counting when a request read every host in one page. */
const everyHost = new WeakMap<Context, number>();

builder.queryField("hosts", (t) =>
  t.prismaConnection(
    {
      type: "Host",
      cursor: "id",
      description: "Hosts with a Ferry agent, by name.",
      authScopes: { viewer: true },
      args: { filter: t.arg({ type: HostFilter, description: "Filter the hosts." }) },
      totalCount: (_parent, args, ctx) => {
        const known = args.filter ? undefined : everyHost.get(ctx);
        return known ?? ctx.app.db.prisma.host.count({ where: hostWhere(args.filter) });
      },
      resolve: async (query, _parent, args, ctx) => {
        // The dashboard's shape (an unfiltered first page of hosts with settings, readiness's inputs
        // and their first VMs) in two SQL statements (page.ts); other shapes through Prisma.
        const plan = args.filter ? null : hostsPlan(query);
        if (!plan)
          return ctx.app.db.prisma.host.findMany({
            ...query,
            where: hostWhere(args.filter),
            orderBy: [{ name: "asc" }, { id: "asc" }],
          });
        const rows = await hostsPage(ctx.app.db.prisma, plan);
        if (rows.length < plan.take) {
          // Every host: the count, and readiness's fleet when the rows carry the settings.
          everyHost.set(ctx, rows.length);
          if (plan.settings) primeFleet(ctx, rows as never);
        }
        return rows as never;
      },
    },
    HostConnection,
  ),
);

builder.queryField("host", (t) =>
  t.prismaField({
    type: "Host",
    nullable: true,
    description: "One host by name (case-insensitive); null when there is none.",
    authScopes: { viewer: true },
    args: { name: t.arg.string({ required: true, description: "Host name." }) },
    resolve: (query, _parent, args, ctx) =>
      ctx.app.db.prisma.host.findFirst({
        ...query,
        where: { name: { equals: args.name, mode: "insensitive" } },
      }),
  }),
);

builder.subscriptionField("hostChanged", (t) =>
  t.prismaField({
    type: "Host",
    description: "Emits a host whenever its inventory, settings or agent connection change.",
    authScopes: { viewer: true },
    args: { host: t.arg.id({ description: "Only this host (global id); all hosts when omitted." }) },
    subscribe: (_parent, args, ctx) => {
      const only = args.host ? decodeId("Host", String(args.host), "host") : null;
      return filterAsync(ctx.app.pubsub.subscribe("hostChanged"), (e) => only === null || e.hostId === only);
    },
    resolve: async (query, payload, _args, ctx) =>
      ctx.app.db.prisma.host.findUniqueOrThrow({
        ...query,
        where: { id: (payload as unknown as { hostId: string }).hostId },
      }),
  }),
);
