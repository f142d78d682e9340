// Job updates: progress and outcome of a Hyper-V migration job on the source host.
import { z } from "zod";
import { agentErrorCode } from "./hyperv.ts";

export const JOB_STATES = ["RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export type JobState = (typeof JOB_STATES)[number];

export const jobUpdateSchema = z.object({
  migrationId: z.string().min(1).max(64),
  jobId: z.string().max(256).nullable(),
  state: z.enum(JOB_STATES),
  percentComplete: z.number().int().min(0).max(100),
  /** A Hyper-V failure code (or UNKNOWN) when FAILED. */
  errorCode: z.union([agentErrorCode, z.string().max(64)]).nullable(),
  errorMessage: z.string().max(32_000).nullable(),
  /** Hyper-V-VMMS-Admin event id of the failure. */
  eventId: z.number().int().nullable(),
});
export type JobUpdate = z.infer<typeof jobUpdateSchema>;
