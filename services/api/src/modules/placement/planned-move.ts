// A planned move as data and as the GraphQL PlannedMove (balancePlan here, evacuationPlan in
// maintenance, which imports it: placement cannot import maintenance without a folder cycle).
import { builder } from "../../builder.ts";
import { MigrationKindEnum } from "../migrations/types.ts";

/** One move of a plan, in start order. */
export interface PlannedStep {
  /** 1 = starts first. */
  order: number;
  /** VirtualMachine row id. */
  vmRowId: string;
  vmGuid: string;
  vmName: string;
  /** Host row id. */
  destinationHostId: string;
  kind: "LIVE" | "LIVE_WITH_STORAGE";
  destinationStoragePath: string | null;
  estimatedSeconds: number;
  /** Estimated seconds after the first start at which this move starts (queue within the hosts' limits). */
  startsAfterSeconds: number;
  /** Balancing: the spread (std-dev of used/total memory) before and after this move. */
  spreadBefore?: number;
  spreadAfter?: number;
}

export const PlannedMoveType = builder.objectRef<PlannedStep>("PlannedMove").implement({
  description: "One move of a plan.",
  fields: (t) => ({
    order: t.exposeInt("order", { description: "Start order: 1 starts first." }),
    vm: t.prismaField({
      type: "VirtualMachine",
      description: "The VM that moves.",
      resolve: (query, s, _a, ctx) =>
        ctx.app.db.prisma.virtualMachine.findUniqueOrThrow({ ...query, where: { id: s.vmRowId } }),
    }),
    destination: t.prismaField({
      type: "Host",
      description: "Where it goes.",
      resolve: (query, s, _a, ctx) =>
        ctx.app.db.prisma.host.findUniqueOrThrow({ ...query, where: { id: s.destinationHostId } }),
    }),
    kind: t.field({
      type: MigrationKindEnum,
      description: "LIVE (shared storage), or LIVE_WITH_STORAGE for a VM on host-local storage.",
      resolve: (s) => s.kind,
    }),
    destinationStoragePath: t.exposeString("destinationStoragePath", {
      nullable: true,
      description: "With storage: the folder on the destination (<its virtualMachinePath>\\<vm name>).",
    }),
    estimatedSeconds: t.exposeFloat("estimatedSeconds", {
      description:
        "Estimated duration of this move (an estimate: see the README, Maintenance and placement).",
    }),
    startsAfterSeconds: t.exposeFloat("startsAfterSeconds", {
      description:
        "Estimated seconds after the first move starts at which this one starts (within the hosts' limits).",
    }),
    spreadAfter: t.float({
      nullable: true,
      description:
        "Balancing only: the spread of memory use (standard deviation of used/total across the hosts) once this move and the ones before it are done; null in other plans.",
      resolve: (s) => s.spreadAfter ?? null,
    }),
    expectedEffect: t.string({
      nullable: true,
      description: "Balancing only: what this move does to the spread, in words; null in other plans.",
      resolve: (s) =>
        s.spreadBefore === undefined || s.spreadAfter === undefined
          ? null
          : `spread ${s.spreadBefore.toFixed(4)} -> ${s.spreadAfter.toFixed(4)} (-${(((s.spreadBefore - s.spreadAfter) / (s.spreadBefore || 1)) * 100).toFixed(1)}%)`,
    }),
  }),
});
