// moveVm and migrationPreflight: defined here, not in migrations/schema.ts, because they hand
// placement (auto-placement, placement's checks) to migrations/requests.ts, which does not depend on
// placement. Resolvers only translate.
import { builder } from "../../builder.ts";
import { principalName } from "../../context.ts";
import { preflight, requestMove } from "../migrations/requests.ts";
import { MoveVmInput, MoveVmPayload, moveArgs } from "../migrations/schema.ts";
import { PreflightReportType } from "../migrations/types.ts";
import { runMutation } from "../shared/payload.ts";
import { movePlacement } from "./decide.ts";

builder.queryField("migrationPreflight", (t) =>
  t.field({
    type: PreflightReportType,
    description:
      "Dry run of moveVm: every check that would block or slow it (preflight's Hyper-V rules, Compare-VM, placement's checks), nothing started. Without destinationHost: the checks for the host placement would choose.",
    authScopes: { viewer: true },
    args: { input: t.arg({ type: MoveVmInput, required: true, description: "The move to check." }) },
    resolve: (_r, { input }, ctx) =>
      preflight(ctx.app, moveArgs(input), principalName(ctx.principal), movePlacement),
  }),
);

builder.mutationField("moveVm", (t) =>
  t.field({
    type: MoveVmPayload,
    description:
      "Live-migrates a VM (Move-VM -DestinationHost, with -IncludeStorage when asked): preflight, then queued within both hosts' limits (and not before notBefore). Without destinationHost, placement picks the best host now (memory promised to queued moves, reserve, anti-affinity, maintenance) and the migration's placementReason says why. Errors: ValidationError, NotFoundError, PreflightFailedError, ConflictError.",
    authScopes: { operator: true },
    args: { input: t.arg({ type: MoveVmInput, required: true, description: "The move." }) },
    resolve: (_r, { input }, ctx) =>
      runMutation(ctx, { operation: "moveVm", target: String(input.vm), input }, (audit) =>
        requestMove(ctx.app, moveArgs(input), principalName(ctx.principal), false, audit, movePlacement),
      ),
  }),
);
