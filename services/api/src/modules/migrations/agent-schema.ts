// Agent-facing part of migrations: job progress and outcomes from the source host's agent.
import { jobUpdateSchema } from "@ferry/protocol";
import { builder } from "../../builder.ts";
import { forbidden, ValidationError } from "../shared/errors.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { type ClaimResult, claimStart, recordJobUpdate } from "./machine.ts";
import { MigrationStateEnum } from "./types.ts";

const JobState = builder.enumType("AgentJobState", {
  description: "State of a Hyper-V migration job as the agent sees it.",
  values: {
    RUNNING: { description: "Still moving." },
    COMPLETED: { description: "Finished successfully." },
    FAILED: { description: "Ended with an error." },
    CANCELLED: { description: "Terminated on request." },
  },
});

const AgentJobUpdateInput = builder.inputType("AgentJobUpdateInput", {
  description: "A sample of a migration job on the agent's own host.",
  fields: (t) => ({
    migrationId: t.string({
      required: true,
      description: "The migration the job belongs to (from START_MOVE).",
    }),
    jobId: t.string({ description: "Hyper-V's job id." }),
    state: t.field({ type: JobState, required: true, description: "Job state." }),
    percentComplete: t.int({ required: true, description: "0-100." }),
    errorCode: t.string({ description: "Typed Hyper-V error code when FAILED." }),
    errorMessage: t.string({ description: "Hyper-V's message when FAILED." }),
    eventId: t.int({ description: "Hyper-V-VMMS-Admin event id of the failure." }),
  }),
});

const AgentJobUpdatePayload = payloadType<boolean>(
  "AgentJobUpdatePayload",
  "Whether the update was stored.",
  (t) => ({
    accepted: t.boolean({
      nullable: true,
      description: "True when recorded (or already known).",
      resolve: (p) => p.data,
    }),
  }),
);

builder.mutationField("agentJobUpdate", (t) =>
  t.field({
    type: AgentJobUpdatePayload,
    description:
      "Agent only: progress or outcome of a migration started on the agent's own host. Repeats are harmless.",
    authScopes: { agent: true },
    args: { input: t.arg({ type: AgentJobUpdateInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const agent = ctx.principal?.kind === "agent" ? ctx.principal : null;
      if (!agent) throw forbidden("agent credential required");
      return runMutation(ctx, { operation: "agentJobUpdate", target: input.migrationId, input }, async () => {
        // The protocol's schema, the same the agent builds its reports with.
        const update = jobUpdateSchema.safeParse({
          migrationId: input.migrationId,
          jobId: input.jobId ?? null,
          state: input.state,
          percentComplete: input.percentComplete,
          errorCode: input.errorCode ?? null,
          errorMessage: input.errorMessage ?? null,
          eventId: input.eventId ?? null,
        });
        if (!update.success) {
          const issue = update.error.issues[0];
          throw new ValidationError(`input.${issue?.path.join(".") ?? ""}`, issue?.message ?? "invalid");
        }
        await recordJobUpdate(ctx.app, agent.hostId, update.data);
        return true;
      });
    },
  }),
);

const AgentClaimMigrationInput = builder.inputType("AgentClaimMigrationInput", {
  description: "The START_MOVE the agent is about to run.",
  fields: (t) => ({
    migrationId: t.string({ required: true, description: "The migration of the START_MOVE." }),
  }),
});

const AgentClaimMigrationPayload = payloadType<ClaimResult>(
  "AgentClaimMigrationPayload",
  "Whether the agent may start the move.",
  (t) => ({
    claimed: t.boolean({
      nullable: true,
      description:
        "True: call Move-VM / Move-VMStorage now (or, after a crash, follow the job already started). False: the migration is no longer expected to start (cancelled, failed): do not call Hyper-V.",
      resolve: (p) => p.data?.claimed ?? null,
    }),
    state: t.field({
      type: MigrationStateEnum,
      nullable: true,
      description: "The migration's state after the claim.",
      resolve: (p) => p.data?.state ?? null,
    }),
  }),
);

builder.mutationField("agentClaimMigration", (t) =>
  t.field({
    type: AgentClaimMigrationPayload,
    description:
      "Agent only: claims a START_MOVE of the agent's own host just before calling Hyper-V (STARTING → RUNNING). Only one claim wins; a migration cancelled or failed meanwhile is refused, so a stale START_MOVE never runs.",
    authScopes: { agent: true },
    args: { input: t.arg({ type: AgentClaimMigrationInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const agent = ctx.principal?.kind === "agent" ? ctx.principal : null;
      if (!agent) throw forbidden("agent credential required");
      return runMutation(
        ctx,
        { operation: "agentClaimMigration", target: input.migrationId, input },
        (audit) => claimStart(ctx.app, agent.hostId, input.migrationId, audit),
      );
    },
  }),
);
