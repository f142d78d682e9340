// GraphQL types of the maintenance domain: the what-if plan and the Maintenance node.
import { builder } from "../../builder.ts";
import type { Maintenance } from "../../generated/prisma/client.ts";
import { MigrationConnection, PreflightCheckType } from "../migrations/types.ts";
import { PlannedMoveType } from "../placement/planned-move.ts";
import type { EvacuationPlanResult, UnmovableEntry } from "./plan-types.ts";
import { movedCount, percentComplete, remainingSeconds, returnedCount } from "./progress.ts";

export const UnmovablePolicyEnum = builder.enumType("UnmovablePolicy", {
  description: "What happens to the VMs of a host in maintenance that cannot move to another host.",
  values: {
    STAY_RUNNING: {
      description: "They stay on the host, running; the maintenance ends IN_MAINTENANCE with them listed.",
    },
    SAVE: {
      description:
        "Once the drain has moved everything else, they are saved (Save-VM) on the host by its agent and hold no memory; only when asked. The outcome is on each UnmovableVm (actionStatus).",
    },
    SHUT_DOWN: {
      description:
        "Once the drain has moved everything else, their guests are shut down (Stop-VM without -Force or -TurnOff) by the host's agent; only when asked. A guest that does not answer is never turned off: it keeps running and its actionStatus is FAILED (SHUTDOWN_UNAVAILABLE).",
    },
  },
});

export const UnmovableActionStatusEnum = builder.enumType("UnmovableActionStatus", {
  description: "What the SAVE / SHUT_DOWN policy did to a VM that could not leave.",
  values: {
    NONE: { description: "Nothing (STAY_RUNNING), or not yet: the drain is still moving the other VMs." },
    PENDING: { description: "Sent to the host's agent (SAVE_VM / STOP_VM); waiting for its answer." },
    DONE: { description: "Saved, or shut down (or it already was): see actionMessage." },
    FAILED: {
      description:
        "Not done, the VM keeps running: the guest did not answer the shutdown (SHUTDOWN_UNAVAILABLE), Hyper-V refused, or no agent received the command before its deadline (COMMAND_EXPIRED).",
    },
    SKIPPED: { description: "The VM left the host before the policy was applied." },
  },
});

export const MaintenanceStateEnum = builder.enumType("MaintenanceState", {
  description:
    "Life of a host's maintenance: PLANNING → DRAINING → IN_MAINTENANCE → (endMaintenance) RETURNING → ENDED, or ENDED at once without returns. PLANNING, DRAINING and RETURNING may end CANCELLED (cancelMaintenance) or FAILED.",
  values: {
    PLANNING: {
      description:
        "Requested: the host is in maintenance (no new move targets it); the drain starts at notBefore, planned against the inventory of that moment.",
    },
    DRAINING: { description: "Its VMs are leaving through the migration queue, within every host's limits." },
    IN_MAINTENANCE: {
      description: "Drained: nothing left that can move (VMs that cannot are listed in unmovable).",
    },
    RETURNING: {
      description: "Ended with returnVms: the VMs that left are moving back; the host takes moves again.",
    },
    ENDED: { description: "Over; the host takes moves again." },
    FAILED: {
      description:
        "The drain or return could not go on: its host's agent was away longer than 15 minutes (failureMessage). Running moves finished, queued ones were cancelled.",
    },
    CANCELLED: { description: "Cancelled: queued moves were cancelled, running ones finished." },
  },
});

export const UnmovableVmType = builder.objectRef<UnmovableEntry>("UnmovableVm").implement({
  description: "A VM that cannot leave its host (or could not), with the checks that fail.",
  fields: (t) => ({
    vm: t.prismaField({
      type: "VirtualMachine",
      description: "The VM.",
      resolve: (query, e, _a, ctx) =>
        ctx.app.db.prisma.virtualMachine.findUniqueOrThrow({ ...query, where: { vmId: e.vmGuid } }),
    }),
    vmName: t.exposeString("vmName", { description: "The VM's name." }),
    checks: t.field({
      type: [PreflightCheckType],
      description:
        "Why it cannot move: the failing checks (preflight's Hyper-V rules and placement's) for the best candidate host, or the failure of a move that failed twice.",
      resolve: (e) => e.checks,
    }),
    action: t.field({
      type: UnmovablePolicyEnum,
      description: "What the maintenance does with it (the policy asked for).",
      resolve: (e) => e.action,
    }),
    actionStatus: t.field({
      type: UnmovableActionStatusEnum,
      description: "Whether the SAVE / SHUT_DOWN policy was applied to it, and how it went.",
      resolve: (e) => e.outcome?.status ?? "NONE",
    }),
    actionMessage: t.string({
      nullable: true,
      description: "What the policy did, in words (the VM's state afterwards, or why it was not done).",
      resolve: (e) => e.outcome?.message ?? null,
    }),
    actionErrorCode: t.string({
      nullable: true,
      description:
        "When actionStatus is FAILED: the agent's code (SHUTDOWN_UNAVAILABLE, INVALID_VM_STATE, COMMAND_EXPIRED ...).",
      resolve: (e) => (e.outcome?.status === "FAILED" ? e.outcome.code : null),
    }),
  }),
});

export const EvacuationPlanType = builder.objectRef<EvacuationPlanResult>("EvacuationPlan").implement({
  description:
    "What-if: where each VM of the host would go, in which order, what cannot move and why. Nothing is changed.",
  fields: (t) => ({
    host: t.prismaField({
      type: "Host",
      description: "The host to empty.",
      resolve: (query, p, _a, ctx) =>
        ctx.app.db.prisma.host.findUniqueOrThrow({ ...query, where: { id: p.hostId } }),
    }),
    steps: t.field({
      type: [PlannedMoveType],
      description: "The moves, in start order.",
      resolve: (p) => p.steps,
    }),
    unmovable: t.field({
      type: [UnmovableVmType],
      description: "VMs no candidate host can take, with the failing checks.",
      resolve: (p) => p.unmovable,
    }),
    estimatedSeconds: t.exposeFloat("estimatedSeconds", {
      description:
        "Estimated total: from the first start until the last move ends, within every host's limits.",
    }),
    lowerBoundSeconds: t.exposeFloat("lowerBoundSeconds", {
      description:
        "No schedule is faster: everything to transfer ÷ what the hosts' limits and links allow at once (and never less than the longest single transfer).",
    }),
  }),
});

/** The stored unmovable list of a maintenance, skipping VMs that left the inventory since. */
export function unmovableOf(m: Pick<Maintenance, "unmovable">): UnmovableEntry[] {
  return (m.unmovable ?? []) as unknown as UnmovableEntry[];
}

export const MaintenanceType = builder.prismaNode("Maintenance", {
  description: "A host's maintenance: the drain of its VMs, the time in maintenance and their return.",
  id: { field: "id" },
  fields: (t) => ({
    host: t.relation("host", { description: "The host in maintenance." }),
    state: t.expose("state", { type: MaintenanceStateEnum, description: "Where it is in its life." }),
    unmovablePolicy: t.expose("unmovablePolicy", {
      type: UnmovablePolicyEnum,
      description: "What happens to the VMs that cannot move.",
    }),
    destinations: t.prismaField({
      type: ["Host"],
      description: "The hosts the drain may use; empty: every other host not in maintenance.",
      select: { destinationHostIds: true },
      resolve: (query, m, _a, ctx) =>
        ctx.app.db.prisma.host.findMany({
          ...query,
          where: { id: { in: m.destinationHostIds } },
          orderBy: { name: "asc" },
        }),
    }),
    requestedBy: t.exposeString("requestedBy", { description: "Who asked for it (token name)." }),
    requestedAt: t.expose("requestedAt", { type: "DateTime", description: "When it was asked for." }),
    notBefore: t.expose("notBefore", {
      type: "DateTime",
      nullable: true,
      description: "The drain waits until then (PLANNING); null: at once.",
    }),
    startedAt: t.expose("startedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the drain started (DRAINING).",
    }),
    finishedAt: t.expose("finishedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it ended (ENDED, FAILED, CANCELLED).",
    }),
    movedCount: t.int({
      description: "VMs the drain moved off the host so far.",
      select: { id: true, hostId: true },
      resolve: (m, _a, ctx) => movedCount(ctx.app, m),
    }),
    totalCount: t.exposeInt("totalCount", {
      description: "VMs the drain moves (those that can move when it started, and any that arrived since).",
    }),
    percentComplete: t.int({
      description:
        "0-100: VMs moved or given up (failed twice) of totalCount; 100 once IN_MAINTENANCE. While RETURNING: VMs back of returnCount.",
      select: { id: true, hostId: true, state: true, totalCount: true, returnCount: true, unmovable: true },
      resolve: (m, _a, ctx) => percentComplete(ctx.app, m),
    }),
    estimatedSecondsRemaining: t.float({
      nullable: true,
      description:
        "Estimated seconds until the drain (or return) is done, from the plan's estimates and the moves still to go; null when nothing is moving. An estimate.",
      select: {
        id: true,
        hostId: true,
        state: true,
        totalCount: true,
        returnCount: true,
        unmovable: true,
        estimatedSeconds: true,
      },
      resolve: (m, _a, ctx) => remainingSeconds(ctx.app, m),
    }),
    returnVms: t.exposeBoolean("returnVms", {
      description: "endMaintenance asked for the VMs that left to come back.",
    }),
    returnCount: t.exposeInt("returnCount", { description: "VMs the return moves back (RETURNING, ENDED)." }),
    returnedCount: t.int({
      description: "VMs back on the host so far.",
      select: { id: true, hostId: true },
      resolve: (m, _a, ctx) => returnedCount(ctx.app, m),
    }),
    failureMessage: t.exposeString("failureMessage", { nullable: true, description: "Why it FAILED." }),
    migrations: t.relatedConnection(
      "migrations",
      {
        cursor: "id",
        totalCount: true,
        description: "The moves of its drain and return, in queue order.",
        query: () => ({ orderBy: { seq: "asc" } }),
      },
      MigrationConnection,
    ),
    unmovable: t.field({
      type: [UnmovableVmType],
      description:
        "VMs that cannot leave (or could not: a move failed, was re-placed once and failed again; or could not come back), with why and the action taken.",
      select: { unmovable: true },
      resolve: async (m, _a, ctx) => {
        const entries = unmovableOf(m);
        const present = new Set(
          (
            await ctx.app.db.prisma.virtualMachine.findMany({
              where: { vmId: { in: entries.map((e) => e.vmGuid) } },
              select: { vmId: true },
            })
          ).map((v) => v.vmId),
        );
        return entries.filter((e) => present.has(e.vmGuid));
      },
    }),
  }),
});

export const MaintenanceConnection = builder.connectionObject({
  type: MaintenanceType,
  name: "MaintenanceConnection",
  description: "A page of maintenances, newest first.",
});
