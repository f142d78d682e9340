// Event reports: Microsoft-Windows-Hyper-V-VMMS-Admin records, oldest first.
import { z } from "zod";
import { wireBigInt } from "./wire.ts";

export const EVENT_LEVELS = ["CRITICAL", "ERROR", "WARNING", "INFORMATION", "VERBOSE"] as const;
export type EventLevel = (typeof EVENT_LEVELS)[number];

/** Events per report; the agent sends bigger backlogs in several batches. */
export const MAX_EVENTS_PER_REPORT = 500;

export const eventSchema = z.object({
  recordId: wireBigInt.refine((v) => v < 2n ** 63n, "recordId must fit in 64 bits"),
  eventId: z.number().int().min(0).max(65535),
  level: z
    .string()
    .transform((v) => v.trim().toUpperCase())
    .pipe(z.enum(EVENT_LEVELS)),
  timeCreated: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
  message: z.string().max(32_000),
  vmName: z.string().max(256).nullable().optional(),
});

export const eventReportSchema = z.array(eventSchema).max(MAX_EVENTS_PER_REPORT);
export type ReportedEvent = z.infer<typeof eventSchema>;
/** One record as the agent sends it. */
export type EventWire = z.input<typeof eventSchema>;
