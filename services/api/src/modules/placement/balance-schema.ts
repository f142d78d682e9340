// balancePlan and applyBalancePlan. Resolvers only translate.
import { builder } from "../../builder.ts";
import { principalName } from "../../context.ts";
import { runMutation } from "../shared/payload.ts";
import {
  applyBalancePlan,
  type BalancePlanResult,
  balancePlan,
  MAX_BALANCE_MOVES,
} from "./balance-service.ts";
import { PlannedMoveType } from "./planned-move.ts";
import { MoveVmsPayload } from "./schema.ts";

const BalancePlanInput = builder.inputType("BalancePlanInput", {
  description: "Which hosts to even out, and at most how many moves.",
  fields: (t) => ({
    hosts: t.idList({
      description:
        "Host ids to balance among (at least two; VMs move only between them). All hosts when omitted. Hosts in maintenance never take part.",
    }),
    maxMoves: t.int({ defaultValue: 10, description: `At most this many moves (1-${MAX_BALANCE_MOVES}).` }),
  }),
});

const BalancePlanType = builder.objectRef<BalancePlanResult>("BalancePlan").implement({
  description:
    "Moves that reduce the spread of memory use across the hosts (standard deviation of used/total memory), most effective first. Each move passes preflight and placement's checks (maintenance, memory promised to the queue, reserves, anti-affinity). Nothing is changed.",
  fields: (t) => ({
    moves: t.field({
      type: [PlannedMoveType],
      description: "The moves, in order; each with its expected effect (spreadAfter, expectedEffect).",
      resolve: (p) => p.steps,
    }),
    spreadBefore: t.exposeFloat("spreadBefore", {
      description: "Standard deviation of used/total memory across the hosts now (0 = perfectly even).",
    }),
    spreadAfter: t.exposeFloat("spreadAfter", {
      description: "The same once every move is done (an estimate).",
    }),
  }),
});

builder.queryField("balancePlan", (t) =>
  t.field({
    type: BalancePlanType,
    description:
      "Moves that even out memory use across hosts (greedy: each move the one that lowers the spread most), at most maxMoves. What-if: nothing is queued; applyBalancePlan queues them.",
    authScopes: { viewer: true },
    args: { input: t.arg({ type: BalancePlanInput, description: "Hosts and the move limit." }) },
    resolve: (_r, { input }, ctx) => balancePlan(ctx.app, input),
  }),
);

builder.mutationField("applyBalancePlan", (t) =>
  t.field({
    type: MoveVmsPayload,
    description:
      "Plans the balance again (against the queue as it is now, under the placement lock) and queues its moves through the migration queue; one result per move (none when the hosts are already even). Errors: ValidationError, NotFoundError.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: BalancePlanInput, description: "Hosts and the move limit." }) },
    resolve: (_r, { input }, ctx) =>
      runMutation(ctx, { operation: "applyBalancePlan", target: null, input }, (audit) =>
        applyBalancePlan(ctx.app, input, principalName(ctx.principal), audit),
      ),
  }),
);
