// Migrations: queries, mutations and subscriptions (Move-VM, Move-VMStorage, progress). Resolvers only translate.
import { GraphQLError } from "graphql";
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import { principalName } from "../../context.ts";
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import { decodeId } from "../shared/ids.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import "./errors.ts";
import "./agent-schema.ts";
import { ACTIVE_STATES, requestCancel, TERMINAL_STATES } from "./machine.ts";
import { type MoveVmArgs, requestMove } from "./requests.ts";
import { MigrationConnection, MigrationKindEnum, MigrationStateEnum } from "./types.ts";

const VhdMoveInput = builder.inputType("VhdMoveInput", {
  description: "One disk to move (Move-VMStorage -Vhds); the file name must stay the same.",
  fields: (t) => ({
    sourcePath: t.string({ required: true, description: "Current path of the VHD/VHDX file." }),
    destinationPath: t.string({ required: true, description: "New path, same file name." }),
  }),
});

export const MoveVmInput = builder.inputType("MoveVmInput", {
  description: "A live migration (Move-VM).",
  fields: (t) => ({
    vm: t.id({ required: true, description: "VirtualMachine id." }),
    destinationHost: t.id({
      description:
        "Host id to move to. Omit it and placement picks the best host at request time (placementOptions explains the scores); the migration's placementReason says why.",
    }),
    includeStorage: t.boolean({
      defaultValue: false,
      description: "Move the VM's files too (Move-VM -IncludeStorage).",
    }),
    destinationStoragePath: t.string({
      description:
        "Folder on the destination for the files; required with includeStorage and destinationHost (auto-placement defaults to the destination's VM folder\\<vm name>).",
    }),
    idempotencyKey: t.string({ description: "Retries with the same key return the first call's migration." }),
    notBefore: t.field({
      type: "DateTime",
      description:
        "Do not start before this instant: the move waits QUEUED (scheduled) until then, across API restarts. Checks run now and again at the start.",
    }),
  }),
});

const MoveVmStorageInput = builder.inputType("MoveVmStorageInput", {
  description: "A storage migration (Move-VMStorage): a whole VM to a folder, or chosen disks.",
  fields: (t) => ({
    vm: t.id({ required: true, description: "VirtualMachine id." }),
    destinationStoragePath: t.string({
      description: "Move every file of the VM to this folder (either this).",
    }),
    vhds: t.field({ type: [VhdMoveInput], description: "Move these disks (or these)." }),
    idempotencyKey: t.string({ description: "Retries with the same key return the first call's migration." }),
  }),
});

const MigrationFilter = builder.inputType("MigrationFilter", {
  description: "Filters for migrations; all given conditions must hold.",
  fields: (t) => ({
    states: t.field({ type: [MigrationStateEnum], description: "Only these states." }),
    active: t.boolean({
      description: "Only QUEUED/STARTING/RUNNING/CANCELLING (true) or only ended ones (false).",
    }),
    kind: t.field({ type: MigrationKindEnum, description: "Only this kind." }),
    vm: t.id({ description: "Only this VM (VirtualMachine id)." }),
    vmName: t.string({ description: "Only VMs with this name (as requested)." }),
    host: t.id({ description: "Only migrations from or to this host." }),
    requestedAfter: t.field({ type: "DateTime", description: "Requested at or after this instant." }),
    requestedBefore: t.field({ type: "DateTime", description: "Requested before this instant." }),
  }),
});

type FilterInput = typeof MigrationFilter.$inferInput;

/** A MoveVmInput as requests.ts takes it. */
export function moveArgs(input: typeof MoveVmInput.$inferInput): MoveVmArgs {
  return {
    ...input,
    vm: String(input.vm),
    destinationHost: input.destinationHost == null ? null : String(input.destinationHost),
  };
}

export async function migrationWhere(
  ctx: Context,
  filter: FilterInput | null | undefined,
): Promise<Prisma.MigrationWhereInput> {
  if (!filter) return {};
  const and: Prisma.MigrationWhereInput[] = [];
  if (filter.states?.length) and.push({ state: { in: filter.states } });
  if (filter.active != null) and.push({ state: { in: filter.active ? ACTIVE_STATES : TERMINAL_STATES } });
  if (filter.kind) and.push({ kind: filter.kind });
  if (filter.vmName != null) and.push({ vmName: filter.vmName });
  if (filter.vm != null) {
    const vm = await ctx.app.db.prisma.virtualMachine.findUnique({
      where: { id: decodeId("VirtualMachine", String(filter.vm), "filter.vm") },
      select: { vmId: true },
    });
    and.push({ vmGuid: vm?.vmId ?? "-" });
  }
  if (filter.host != null) {
    const hostId = decodeId("Host", String(filter.host), "filter.host");
    and.push({ OR: [{ sourceHostId: hostId }, { destinationHostId: hostId }] });
  }
  if (filter.requestedAfter) and.push({ requestedAt: { gte: filter.requestedAfter } });
  if (filter.requestedBefore) and.push({ requestedAt: { lt: filter.requestedBefore } });
  return { AND: and };
}

builder.queryField("migrations", (t) =>
  t.prismaConnection(
    {
      type: "Migration",
      cursor: "id",
      description: "Migration history and queue, newest first.",
      authScopes: { viewer: true },
      args: { filter: t.arg({ type: MigrationFilter, description: "Filter the migrations." }) },
      totalCount: async (_p, args, ctx) =>
        ctx.app.db.prisma.migration.count({ where: await migrationWhere(ctx, args.filter) }),
      resolve: async (query, _p, args, ctx) =>
        ctx.app.db.prisma.migration.findMany({
          ...query,
          where: await migrationWhere(ctx, args.filter),
          orderBy: [{ seq: "desc" }],
        }),
    },
    MigrationConnection,
  ),
);

export const MoveVmPayload = payloadType<Migration>(
  "MoveVmPayload",
  "The queued migration, or why it was refused.",
  (t) => ({
    migration: t.prismaField({
      type: "Migration",
      nullable: true,
      description: "The migration (QUEUED, or already further when an idempotency key matched).",
      resolve: (query, p, _a, ctx) =>
        p.data ? ctx.app.db.prisma.migration.findUnique({ ...query, where: { id: p.data.id } }) : null,
    }),
  }),
);

const MigrationPayload = payloadType<Migration>(
  "MigrationPayload",
  "The migration after the change, or why not.",
  (t) => ({
    migration: t.prismaField({
      type: "Migration",
      nullable: true,
      description: "The migration.",
      resolve: (query, p, _a, ctx) =>
        p.data ? ctx.app.db.prisma.migration.findUnique({ ...query, where: { id: p.data.id } }) : null,
    }),
  }),
);

builder.mutationField("moveVmStorage", (t) =>
  t.field({
    type: MoveVmPayload,
    description:
      "Moves a VM's storage (Move-VMStorage), whole or per disk, queued within the host's storage limit.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: MoveVmStorageInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      runMutation(ctx, { operation: "moveVmStorage", target: String(input.vm), input }, (audit) =>
        requestMove(ctx.app, { ...input, vm: String(input.vm) }, principalName(ctx.principal), true, audit),
      ),
  }),
);

builder.mutationField("cancelMigration", (t) =>
  t.field({
    type: MigrationPayload,
    description:
      "Cancels a migration: QUEUED, and STARTING (the source agent has not started it), end CANCELLED at once and it never runs; RUNNING becomes CANCELLING until Hyper-V stops (or finishes) the job. Errors: NotFoundError; ConflictError when it already ended.",
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true, description: "Migration id." }) },
    resolve: (_r, { id }, ctx) =>
      runMutation(ctx, { operation: "cancelMigration", target: String(id) }, (audit) =>
        requestCancel(ctx.app, decodeId("Migration", String(id), "id"), principalName(ctx.principal), audit),
      ),
  }),
);

builder.subscriptionField("migrationProgress", (t) =>
  t.prismaField({
    type: "Migration",
    description:
      "Emits the migration on every progress sample and state change; completes after a terminal state.",
    authScopes: { viewer: true },
    args: { id: t.arg.id({ required: true, description: "Migration id." }) },
    subscribe: (_r, args, ctx) => progressStream(ctx, decodeId("Migration", String(args.id), "id")),
    resolve: (query, payload, _a, ctx) => {
      const { id, event, row } = payload as unknown as { id: string; event: object; row: Migration };
      // A selection of the migration's own columns is the row the stream just read: no second read.
      if (Object.keys(query).length === 0) return row;
      return oncePerEvent(event, JSON.stringify(query), () =>
        ctx.app.db.prisma.migration.findUniqueOrThrow({ ...query, where: { id } }),
      );
    },
  }),
);

/**
 * One database read per published event (and query shape), shared by every subscriber on this
 * replica that the event woke: with 500 subscribers a progress sample costs one read, not 500.
 * Reads start after the event was published (after its transaction committed), so they are fresh.
 */
const readsPerEvent = new WeakMap<object, Map<string, Promise<unknown>>>();
function oncePerEvent<T>(event: object, key: string, read: () => Promise<T>): Promise<T> {
  let reads = readsPerEvent.get(event);
  if (!reads) {
    reads = new Map();
    readsPerEvent.set(event, reads);
  }
  let pending = reads.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = read();
    reads.set(key, pending);
  }
  return pending;
}

/** How often a progress stream re-reads the migration without a hint. */
const RESYNC_MS = 5_000;

/** An unknown migration id is an error of this subscription (NOT_FOUND), not an empty stream. */
const notFound = (id: string) =>
  new GraphQLError(`Migration not found: ${id}`, { extensions: { code: "NOT_FOUND" } });

/**
 * Current state first, then one event per change (deduplicated), ending after a terminal state; each
 * event carries the row read for it.
 * `event` is the pubsub message that woke the stream (a fresh object for the first read): reads
 * for the same message are shared by all subscribers (oncePerEvent).
 */
async function* progressStream(
  ctx: Context,
  id: string,
): AsyncGenerator<{ id: string; event: object; row: Migration }> {
  const prisma = ctx.app.db.prisma;
  const changes = ctx.app.pubsub.subscribe("migrationChanged", id)[Symbol.asyncIterator]();
  try {
    let last = "";
    let event: object = {};
    let pending: ReturnType<typeof changes.next> | null = null;
    while (true) {
      // The whole row: a selection of scalar fields is answered from it (resolve above).
      const m = await oncePerEvent(event, "progress", () => prisma.migration.findUnique({ where: { id } }));
      if (!m) throw notFound(id);
      const key = `${m.state}/${m.percentComplete}`;
      if (key !== last) {
        last = key;
        yield { id, event, row: m };
      }
      if (TERMINAL_STATES.includes(m.state)) return;
      // Hints make it fast; the timer makes a lost hint cost seconds, never a stuck stream.
      pending ??= changes.next();
      let timer: NodeJS.Timeout | undefined;
      const woke = await Promise.race([
        pending,
        new Promise<"resync">((resolve) => (timer = setTimeout(() => resolve("resync"), RESYNC_MS))),
      ]);
      clearTimeout(timer);
      if (woke === "resync") {
        event = {};
        continue;
      }
      pending = null;
      if (woke.done) return;
      event = woke.value;
    }
  } finally {
    await changes.return?.();
  }
}

builder.subscriptionField("migrationsChanged", (t) =>
  t.prismaField({
    type: "Migration",
    description: "Emits any migration (matching the filter) whenever it changes.",
    authScopes: { viewer: true },
    args: { filter: t.arg({ type: MigrationFilter, description: "Only migrations matching this." }) },
    subscribe: (_r, args, ctx) => changedStream(ctx, args.filter),
    resolve: (query, payload, _a, ctx) => {
      const event = payload as unknown as { migrationId: string };
      return oncePerEvent(event, JSON.stringify(query), () =>
        ctx.app.db.prisma.migration.findUniqueOrThrow({ ...query, where: { id: event.migrationId } }),
      );
    },
  }),
);

async function* changedStream(
  ctx: Context,
  filter: FilterInput | null | undefined,
): AsyncGenerator<{ migrationId: string }> {
  const where = await migrationWhere(ctx, filter);
  const whereKey = `match:${JSON.stringify(where)}`;
  for await (const event of ctx.app.pubsub.subscribe("migrationsChanged")) {
    const match = await oncePerEvent(event, whereKey, () =>
      ctx.app.db.prisma.migration.count({ where: { AND: [where, { id: event.migrationId }] } }),
    );
    if (match) yield event;
  }
}

builder.prismaObjectField("Host", "activeMigrations", (t) =>
  t.prismaField({
    type: ["Migration"],
    description: "QUEUED, STARTING, RUNNING and CANCELLING migrations from or to this host.",
    select: { id: true },
    resolve: (query, host, _a, ctx) =>
      ctx.app.db.prisma.migration.findMany({
        ...query,
        where: {
          state: { in: ACTIVE_STATES },
          OR: [{ sourceHostId: host.id }, { destinationHostId: host.id }],
        },
        orderBy: { seq: "asc" },
      }),
  }),
);

builder.prismaObjectField("VirtualMachine", "migrations", (t) =>
  t.prismaConnection(
    {
      type: "Migration",
      cursor: "id",
      description: "This VM's migrations (by its Hyper-V id, across hosts), newest first.",
      totalCount: (vm, _a, ctx) => ctx.app.db.prisma.migration.count({ where: { vmGuid: vm.vmId } }),
      resolve: (query, vm, _a, ctx) =>
        ctx.app.db.prisma.migration.findMany({
          ...query,
          where: { vmGuid: vm.vmId },
          orderBy: { seq: "desc" },
        }),
    },
    MigrationConnection,
  ),
);
