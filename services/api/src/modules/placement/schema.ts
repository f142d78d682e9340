// Placement's GraphQL: placementOptions, moveVms, anti-affinity groups, host memory reserves,
// balancePlan/applyBalancePlan (balance-schema.ts). Resolvers only translate.
import { builder } from "../../builder.ts";
import { principalName } from "../../context.ts";
import type { AntiAffinityGroup, Host } from "../../generated/prisma/client.ts";
import { MoveVmInput, moveArgs } from "../migrations/schema.ts";
import { PreflightCheckType } from "../migrations/types.ts";
import { ErrorInterface, errorShape, payloadType, runMutation } from "../shared/payload.ts";
import { type MoveResult, MovesRefusedError, requestMoves } from "./bulk.ts";
import * as service from "./service.ts";
import type { PlacementOption } from "./types.ts";

export const PlacementOptionType = builder.objectRef<PlacementOption>("PlacementOption").implement({
  description: "A candidate host for a VM: whether it can take the VM, its score and why.",
  fields: (t) => ({
    host: t.prismaField({
      type: "Host",
      description: "The candidate host.",
      resolve: (query, o, _a, ctx) =>
        ctx.app.db.prisma.host.findUniqueOrThrow({ ...query, where: { id: o.hostId } }),
    }),
    ok: t.exposeBoolean("ok", { description: "No check fails: the VM can move there now." }),
    score: t.exposeFloat("score", {
      description:
        "Higher is better (compare between the options of one VM only): free memory after the move, balance against the fleet's mean use, same switches, minus pending incoming moves.",
    }),
    reasons: t.exposeStringList("reasons", {
      description: "One line per part of the score (and first, when not ok, the failing checks).",
    }),
    checks: t.field({
      type: [PreflightCheckType],
      description:
        "Preflight's checks (Hyper-V rules, without Compare-VM) plus placement's: maintenance, memory after queued moves, memory reserve, anti-affinity.",
      resolve: (o) => o.checks,
    }),
    destinationStoragePath: t.exposeString("destinationStoragePath", {
      nullable: true,
      description: "With includeStorage: the folder the VM's files would go to on this host.",
    }),
  }),
});

builder.queryField("placementOptions", (t) =>
  t.field({
    type: [PlacementOptionType],
    description:
      "Every candidate host for the VM with its preflight verdict and a score, best first (hosts that can take it first). What moveVm without destinationHost would choose now.",
    authScopes: { viewer: true },
    args: {
      vm: t.arg.id({ required: true, description: "VirtualMachine id." }),
      includeStorage: t.arg.boolean({
        defaultValue: false,
        description: "Score a live move with storage (the destination's default VM folder).",
      }),
    },
    resolve: (_r, args, ctx) => service.optionsFor(ctx.app, String(args.vm), args.includeStorage ?? false),
  }),
);

builder.prismaObjectField("Host", "memoryReserveBytes", (t) =>
  t.expose("memoryReserveBytes", {
    type: "BigInt",
    description:
      "Memory placement keeps free on this host after the moves it plans (default 2 GiB, for the management OS); set with setHostMemoryReserve. A move to a host chosen by the caller only warns.",
  }),
);

export const AntiAffinityGroupType = builder.prismaNode("AntiAffinityGroup", {
  description:
    "VMs that must not share a host: auto-placement, moveVm/moveVms to a named host, balancing and evacuation honour it.",
  id: { field: "id" },
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique name of the group." }),
    vms: t.prismaField({
      type: ["VirtualMachine"],
      description: "The VMs of the group that are in the inventory now, by name.",
      select: { id: true },
      resolve: async (query, g, _a, ctx) => {
        const members = await ctx.app.db.prisma.antiAffinityMember.findMany({ where: { groupId: g.id } });
        return ctx.app.db.prisma.virtualMachine.findMany({
          ...query,
          where: { vmId: { in: members.map((m) => m.vmGuid) } },
          orderBy: { name: "asc" },
        });
      },
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "Last change of the group." }),
  }),
});

builder.queryField("antiAffinityGroups", (t) =>
  t.prismaField({
    type: ["AntiAffinityGroup"],
    description: "Every anti-affinity group, by name.",
    authScopes: { viewer: true },
    resolve: (query, _r, _a, ctx) =>
      ctx.app.db.prisma.antiAffinityGroup.findMany({ ...query, orderBy: { name: "asc" } }),
  }),
);

const SetAntiAffinityGroupInput = builder.inputType("SetAntiAffinityGroupInput", {
  description: "A group of VMs that must not share a host; an existing group of that name gets these VMs.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Name of the group (1-100 characters)." }),
    vms: t.idList({ required: true, description: "VirtualMachine ids, at least two." }),
  }),
});

const AntiAffinityGroupPayload = payloadType<AntiAffinityGroup>(
  "AntiAffinityGroupPayload",
  "The group after the change, or why not.",
  (t) => ({
    group: t.prismaField({
      type: "AntiAffinityGroup",
      nullable: true,
      description: "The group.",
      resolve: (query, p, _a, ctx) =>
        p.data
          ? ctx.app.db.prisma.antiAffinityGroup.findUnique({ ...query, where: { id: p.data.id } })
          : null,
    }),
  }),
);

builder.mutationField("setAntiAffinityGroup", (t) =>
  t.field({
    type: AntiAffinityGroupPayload,
    description:
      "Creates an anti-affinity group, or replaces the VMs of the group with that name. Moves nothing: VMs already sharing a host stay until moved (balancePlan respects the group). Errors: ValidationError, NotFoundError.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: SetAntiAffinityGroupInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const record = { operation: "setAntiAffinityGroup", target: input.name.slice(0, 200), input };
      return runMutation(ctx, record, () => service.setAntiAffinityGroup(ctx, record, input));
    },
  }),
);

const DeleteAntiAffinityGroupPayload = payloadType<string>(
  "DeleteAntiAffinityGroupPayload",
  "The deleted group's id, or why not.",
  (t) => ({
    deletedId: t.id({
      nullable: true,
      description: "Global id of the deleted group.",
      resolve: (p) => p.data,
    }),
  }),
);

builder.mutationField("deleteAntiAffinityGroup", (t) =>
  t.field({
    type: DeleteAntiAffinityGroupPayload,
    description: "Deletes an anti-affinity group (its VMs stay where they are). Errors: NotFoundError.",
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true, description: "AntiAffinityGroup id." }) },
    resolve: (_r, { id }, ctx) => {
      const record = { operation: "deleteAntiAffinityGroup", target: String(id) };
      return runMutation(ctx, record, () => service.deleteAntiAffinityGroup(ctx, record, String(id)));
    },
  }),
);

const SetHostMemoryReserveInput = builder.inputType("SetHostMemoryReserveInput", {
  description: "The memory placement keeps free on these hosts.",
  fields: (t) => ({
    hosts: t.idList({ required: true, description: "Host ids." }),
    bytes: t.field({
      type: "BigInt",
      required: true,
      description: "Bytes to keep free (0 or more, below the host's memory).",
    }),
  }),
});

// The contract names HostOperationsPayload; that payload carries agent operations, and a reserve is
// Ferry's own setting that changes nothing on the hosts, so this payload returns the hosts.
const HostMemoryReservePayload = payloadType<Host[]>(
  "HostMemoryReservePayload",
  "The hosts with their new reserve, or why not (then no host changed).",
  (t) => ({
    hosts: t.prismaField({
      type: ["Host"],
      nullable: true,
      description: "The hosts, by name.",
      resolve: (query, p, _a, ctx) =>
        p.data
          ? ctx.app.db.prisma.host.findMany({
              ...query,
              where: { id: { in: p.data.map((h) => h.id) } },
              orderBy: { name: "asc" },
            })
          : null,
    }),
  }),
);

builder.mutationField("setHostMemoryReserve", (t) =>
  t.field({
    type: HostMemoryReservePayload,
    description:
      "Sets the memory placement keeps free on each host (Host.memoryReserveBytes). All hosts or none. Errors: ValidationError, NotFoundError.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: SetHostMemoryReserveInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const record = {
        operation: "setHostMemoryReserve",
        target: input.hosts.map(String).join(",").slice(0, 500),
        input,
      };
      return runMutation(ctx, record, () => service.setHostMemoryReserve(ctx, record, input));
    },
  }),
);

const MoveVmsInput = builder.inputType("MoveVmsInput", {
  description: "Many moves in one request, planned together.",
  fields: (t) => ({
    moves: t.field({
      type: [MoveVmInput],
      required: true,
      description: "Each like moveVm's input; without destinationHost placement chooses, spreading the VMs.",
    }),
    atomic: t.boolean({
      defaultValue: false,
      description: "true: if any move is refused, none is queued. false: a refused move refuses only itself.",
    }),
  }),
});

const MoveVmResultType = builder.objectRef<MoveResult>("MoveVmResult").implement({
  description: "The outcome of one move of a moveVms request.",
  fields: (t) => ({
    index: t.exposeInt("index", { description: "Position of the move in the request (0-based)." }),
    vm: t.id({ description: "The VM id as given.", resolve: (r) => r.vm }),
    migration: t.prismaField({
      type: "Migration",
      nullable: true,
      description: "The queued migration (its destination and placementReason), or null when refused.",
      resolve: (query, r, _a, ctx) =>
        r.migration
          ? ctx.app.db.prisma.migration.findUnique({ ...query, where: { id: r.migration.id } })
          : null,
    }),
    errors: t.field({
      type: [ErrorInterface],
      nullable: true,
      description: "Why this move was refused; null when queued.",
      resolve: (r) => (r.errors.length ? r.errors.map(errorShape) : null),
    }),
  }),
});

const MoveVmsPayload = payloadType<MoveResult[]>(
  "MoveVmsPayload",
  "One result per move, in request order; errors when nothing was queued (atomic refusal) or the input is invalid.",
  (t) => ({
    results: t.field({
      type: [MoveVmResultType],
      nullable: true,
      description: "One result per move; null only when the input as a whole is invalid.",
      resolve: (p) =>
        p.data ??
        p.errors?.find((e): e is MovesRefusedError => e instanceof MovesRefusedError)?.results ??
        null,
    }),
  }),
);

export { MoveVmsPayload };

builder.mutationField("moveVms", (t) =>
  t.field({
    type: MoveVmsPayload,
    description:
      "Queues many moves at once, planned together: auto-placed VMs spread over the hosts (none gets more than its fair share plus one), memory promised across the batch and the queue is counted, anti-affinity and maintenance hold. One result per move. Errors: ValidationError; ConflictError when nothing was queued.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: MoveVmsInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const record = { operation: "moveVms", target: `${input.moves.length} moves`, input };
      return runMutation(ctx, record, (audit) =>
        requestMoves(
          ctx.app,
          input.moves.map(moveArgs),
          input.atomic ?? false,
          principalName(ctx.principal),
          audit,
        ),
      );
    },
  }),
);
