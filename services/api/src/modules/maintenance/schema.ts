// Maintenance: queries, mutations and the subscription. Resolvers only translate.
import { GraphQLError } from "graphql";
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import type { Maintenance, Prisma } from "../../generated/prisma/client.ts";
import { decodeId } from "../shared/ids.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { planEvacuationFor } from "./evacuation.ts";
import { cancelMaintenance, endMaintenance, startMaintenance } from "./service.ts";
import { isTerminal, OPEN_STATES } from "./transitions.ts";
import {
  EvacuationPlanType,
  MaintenanceConnection,
  MaintenanceStateEnum,
  UnmovablePolicyEnum,
} from "./types.ts";

const EvacuationPlanInput = builder.inputType("EvacuationPlanInput", {
  description: "The host to empty and how.",
  fields: (t) => ({
    host: t.id({ required: true, description: "Host id." }),
    destinations: t.idList({
      description: "Only these hosts may take its VMs; default: every other host not in maintenance.",
    }),
    unmovable: t.field({
      type: UnmovablePolicyEnum,
      defaultValue: "STAY_RUNNING",
      description: "What would happen to the VMs that cannot move.",
    }),
  }),
});

builder.queryField("evacuationPlan", (t) =>
  t.field({
    type: EvacuationPlanType,
    description:
      "What-if: where each VM of the host would go, in which order and how long it would take, what cannot move and why. Nothing is changed. Errors (BAD_USER_INPUT): a malformed id, an unknown host or destination, the host among its destinations.",
    authScopes: { viewer: true },
    args: {
      input: t.arg({ type: EvacuationPlanInput, required: true, description: "The host and options." }),
    },
    resolve: (_r, { input }, ctx) =>
      planEvacuationFor(ctx, {
        host: String(input.host),
        destinations: input.destinations?.map(String) ?? null,
        unmovable: input.unmovable ?? "STAY_RUNNING",
      }),
  }),
);

const MaintenanceFilter = builder.inputType("MaintenanceFilter", {
  description: "Filters for maintenances; all given conditions must hold.",
  fields: (t) => ({
    host: t.id({ description: "Only this host's." }),
    states: t.field({ type: [MaintenanceStateEnum], description: "Only these states." }),
    open: t.boolean({
      description: "Only open ones (not ENDED/FAILED/CANCELLED: true) or only ended ones (false).",
    }),
  }),
});

function maintenanceWhere(
  filter: typeof MaintenanceFilter.$inferInput | null | undefined,
): Prisma.MaintenanceWhereInput {
  if (!filter) return {};
  const and: Prisma.MaintenanceWhereInput[] = [];
  if (filter.host != null) and.push({ hostId: decodeId("Host", String(filter.host), "filter.host") });
  if (filter.states?.length) and.push({ state: { in: filter.states } });
  if (filter.open != null)
    and.push(filter.open ? { state: { in: OPEN_STATES } } : { state: { notIn: OPEN_STATES } });
  return { AND: and };
}

builder.queryField("maintenances", (t) =>
  t.prismaConnection(
    {
      type: "Maintenance",
      cursor: "id",
      description: "Maintenances of hosts, newest first.",
      authScopes: { viewer: true },
      args: { filter: t.arg({ type: MaintenanceFilter, description: "Filter the maintenances." }) },
      totalCount: (_p, args, ctx) =>
        ctx.app.db.prisma.maintenance.count({ where: maintenanceWhere(args.filter) }),
      resolve: (query, _p, args, ctx) =>
        ctx.app.db.prisma.maintenance.findMany({
          ...query,
          where: maintenanceWhere(args.filter),
          orderBy: [{ requestedAt: "desc" }, { id: "desc" }],
        }),
    },
    MaintenanceConnection,
  ),
);

builder.prismaObjectField("Host", "maintenance", (t) =>
  t.prismaField({
    type: "Maintenance",
    nullable: true,
    description: "The host's current maintenance (PLANNING, DRAINING, IN_MAINTENANCE or RETURNING), or null.",
    select: { id: true },
    resolve: (query, host, _a, ctx) =>
      ctx.app.db.prisma.maintenance.findFirst({
        ...query,
        where: { hostId: host.id, state: { in: OPEN_STATES } },
      }),
  }),
);

const StartMaintenanceInput = builder.inputType("StartMaintenanceInput", {
  description: "Put a host in maintenance and drain it.",
  fields: (t) => ({
    host: t.id({ required: true, description: "Host id." }),
    unmovable: t.field({
      type: UnmovablePolicyEnum,
      defaultValue: "STAY_RUNNING",
      description:
        "What happens to the VMs that cannot move (SAVE and SHUT_DOWN are refused until the agents can do them).",
    }),
    destinations: t.idList({
      description: "Only these hosts may take its VMs; default: every other host not in maintenance.",
    }),
    notBefore: t.field({
      type: "DateTime",
      description: "The drain waits until then (the host is in maintenance at once); survives restarts.",
    }),
  }),
});

const EndMaintenanceInput = builder.inputType("EndMaintenanceInput", {
  description: "End a host's maintenance.",
  fields: (t) => ({
    host: t.id({ required: true, description: "Host id." }),
    returnVms: t.boolean({
      defaultValue: true,
      description: "Bring the VMs that left back to this host, each when the host can take it.",
    }),
  }),
});

const MaintenancePayload = payloadType<Maintenance>(
  "MaintenancePayload",
  "The maintenance after the change, or why not.",
  (t) => ({
    maintenance: t.prismaField({
      type: "Maintenance",
      nullable: true,
      description: "The maintenance.",
      resolve: (query, p, _a, ctx) =>
        p.data ? ctx.app.db.prisma.maintenance.findUnique({ ...query, where: { id: p.data.id } }) : null,
    }),
  }),
);

builder.mutationField("startMaintenance", (t) =>
  t.field({
    type: MaintenancePayload,
    description:
      "Puts the host in maintenance (no new move targets it) and drains it: at notBefore the worker plans against the inventory of that moment and queues the moves within every host's limits; a move that fails is re-placed once on another host, then reported. Errors: ValidationError, NotFoundError, ConflictError (already in maintenance).",
    authScopes: { operator: true },
    args: { input: t.arg({ type: StartMaintenanceInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const audit = { operation: "startMaintenance", target: String(input.host), input };
      return runMutation(ctx, audit, () =>
        startMaintenance(
          ctx,
          {
            host: String(input.host),
            unmovable: input.unmovable ?? "STAY_RUNNING",
            destinations: input.destinations?.map(String) ?? null,
            notBefore: input.notBefore ?? null,
          },
          audit,
        ),
      );
    },
  }),
);

builder.mutationField("endMaintenance", (t) =>
  t.field({
    type: MaintenancePayload,
    description:
      "Ends an IN_MAINTENANCE host's maintenance: with returnVms (default) the VMs that left go back to it (RETURNING, then ENDED), each when the host can take it; otherwise ENDED at once. Errors: NotFoundError, ConflictError (not in maintenance, or still draining: cancel instead).",
    authScopes: { operator: true },
    args: { input: t.arg({ type: EndMaintenanceInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const audit = { operation: "endMaintenance", target: String(input.host), input };
      return runMutation(ctx, audit, () =>
        endMaintenance(ctx, { host: String(input.host), returnVms: input.returnVms }, audit),
      );
    },
  }),
);

builder.mutationField("cancelMaintenance", (t) =>
  t.field({
    type: MaintenancePayload,
    description:
      "Cancels a maintenance that is PLANNING, DRAINING or RETURNING: its queued moves are cancelled, running ones finish; the host takes moves again. Errors: NotFoundError; ConflictError when it is IN_MAINTENANCE (use endMaintenance) or over.",
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true, description: "Maintenance id." }) },
    resolve: (_r, { id }, ctx) => {
      const audit = { operation: "cancelMaintenance", target: String(id) };
      return runMutation(ctx, audit, () => cancelMaintenance(ctx, String(id), audit));
    },
  }),
);

builder.subscriptionField("maintenanceChanged", (t) =>
  t.prismaField({
    type: "Maintenance",
    description:
      "With an id: that maintenance now, then on every change (state, moves, progress), completing after it ends. Without: any maintenance whenever it changes.",
    authScopes: { viewer: true },
    args: { id: t.arg.id({ description: "Maintenance id; omit for every maintenance." }) },
    subscribe: (_r, args, ctx) =>
      args.id != null ? oneStream(ctx, decodeId("Maintenance", String(args.id), "id")) : anyStream(ctx),
    resolve: (query, payload, _a, ctx) =>
      ctx.app.db.prisma.maintenance.findUniqueOrThrow({
        ...query,
        where: { id: (payload as unknown as { id: string }).id },
      }),
  }),
);

/** How often a stream re-reads without a hint (a lost hint costs seconds, never a stuck stream). */
const RESYNC_MS = 2_000;

const notFound = (id: string) =>
  new GraphQLError(`Maintenance not found: ${id}`, { extensions: { code: "NOT_FOUND" } });

/** What a subscriber sees change: state and the migrations' progress. */
async function fingerprint(ctx: Context, id: string): Promise<{ key: string; ended: boolean } | null> {
  const m = await ctx.app.db.prisma.maintenance.findUnique({
    where: { id },
    select: { state: true, totalCount: true, returnCount: true, unmovable: true, updatedAt: true },
  });
  if (!m) return null;
  const moves = await ctx.app.db.prisma.migration.findMany({
    where: { maintenanceId: id },
    select: { state: true, percentComplete: true },
    orderBy: { seq: "asc" },
  });
  const key = JSON.stringify([m.state, m.totalCount, m.returnCount, m.updatedAt, moves]);
  return { key, ended: isTerminal(m.state) };
}

/** Current state first, then one event per change, ending after a terminal state. */
async function* oneStream(ctx: Context, id: string): AsyncGenerator<{ id: string }> {
  const own = ctx.app.pubsub.subscribe("maintenanceChanged", id)[Symbol.asyncIterator]();
  const moves = ctx.app.pubsub.subscribe("migrationsChanged")[Symbol.asyncIterator]();
  try {
    let last = "";
    let pendingOwn: ReturnType<typeof own.next> | null = null;
    let pendingMoves: ReturnType<typeof moves.next> | null = null;
    while (true) {
      const now = await fingerprint(ctx, id);
      if (!now) throw notFound(id);
      if (now.key !== last) {
        last = now.key;
        yield { id };
      }
      if (now.ended) return;
      pendingOwn ??= own.next();
      pendingMoves ??= moves.next();
      let timer: NodeJS.Timeout | undefined;
      const woke = await Promise.race([
        pendingOwn.then((r) => ["own", r.done] as const),
        pendingMoves.then((r) => ["moves", r.done] as const),
        new Promise<readonly ["resync", boolean]>(
          (resolve) => (timer = setTimeout(() => resolve(["resync", false]), RESYNC_MS)),
        ),
      ]);
      clearTimeout(timer);
      if (woke[0] === "own") pendingOwn = null;
      if (woke[0] === "moves") pendingMoves = null;
      if (woke[1]) return;
    }
  } finally {
    await own.return?.();
    await moves.return?.();
  }
}

/** Every maintenance change (hints only; a missed one shows up with the next change). */
async function* anyStream(ctx: Context): AsyncGenerator<{ id: string }> {
  for await (const event of ctx.app.pubsub.subscribe("maintenancesChanged"))
    yield { id: event.maintenanceId };
}
