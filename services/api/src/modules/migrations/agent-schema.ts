// Agent-facing part of migrations: job progress and outcomes from the source host's agent.
import { jobUpdateSchema } from "@ferry/protocol";
import { builder } from "../../builder.ts";
import { forbidden, ValidationError } from "../shared/errors.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { recordJobUpdate } from "./progress.ts";

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
