// GraphQL types of the migrations domain.
import { builder } from "../../builder.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { CheckStatus } from "../shared/checks.ts";
import type { PreflightCheck, PreflightReport } from "./preflight.ts";

export const MigrationKindEnum = builder.enumType("MigrationKind", {
  description: "What moves.",
  values: {
    LIVE: { description: "Move-VM: the running VM moves; its files stay (shared storage)." },
    LIVE_WITH_STORAGE: { description: "Move-VM -IncludeStorage: the VM and its files move." },
    STORAGE: { description: "Move-VMStorage: the files move; the VM stays on its host." },
  },
});

export const MigrationStateEnum = builder.enumType("MigrationState", {
  description:
    "Life of a migration: QUEUED → STARTING → RUNNING → SUCCEEDED | FAILED, or → CANCELLING → CANCELLED. QUEUED and STARTING may end CANCELLED (cancel) or FAILED (a host check failed at start, or the agent refused) at once.",
  values: {
    QUEUED: { description: "Waiting for a free slot on its hosts (FIFO)." },
    STARTING: {
      description:
        "Given a slot; the source agent was asked to start it (START_MOVE) and has not yet called Move-VM / Move-VMStorage.",
    },
    RUNNING: { description: "Hyper-V is moving it (the source agent started the job)." },
    SUCCEEDED: { description: "Done." },
    FAILED: { description: "Hyper-V (or Ferry) reported a failure; see failure." },
    CANCELLING: { description: "Cancel requested; waiting for Hyper-V to stop the job." },
    CANCELLED: { description: "Cancelled before it finished." },
  },
});

export const PreflightCheckType = builder.objectRef<PreflightCheck>("PreflightCheck").implement({
  description: "One preflight check.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "What was checked, e.g. switches, memory, authentication." }),
    status: t.field({ type: CheckStatus, description: "PASS, WARN or FAIL.", resolve: (c) => c.status }),
    message: t.exposeString("message", { description: "What was found." }),
    remedy: t.exposeString("remedy", { nullable: true, description: "What to do about it (null on PASS)." }),
    code: t.exposeString("code", {
      nullable: true,
      description:
        "The Migration failure code Hyper-V would produce if the move ran anyway (MIGRATION_DISABLED, NETWORK_UNREACHABLE, AUTHENTICATION_FAILED, PROCESSOR_INCOMPATIBLE, SWITCH_NOT_FOUND, INSUFFICIENT_MEMORY, NETWORK_REFUSED, PATH_NOT_FOUND, INVALID_VM_STATE, ...); null on PASS.",
    }),
  }),
});

export const PreflightReportType = builder.objectRef<PreflightReport>("PreflightReport").implement({
  description: "Every check that would block (FAIL) or slow (WARN) a move.",
  fields: (t) => ({
    ok: t.exposeBoolean("ok", { description: "No check failed: the move would be queued." }),
    checks: t.field({
      type: [PreflightCheckType],
      description: "All checks, in order.",
      resolve: (r) => r.checks,
    }),
  }),
});

const VhdMove = builder.objectRef<{ sourcePath: string; destinationPath: string }>("VhdMove").implement({
  description: "One virtual disk moved by Move-VMStorage -Vhds.",
  fields: (t) => ({
    sourcePath: t.exposeString("sourcePath", { description: "Current file path." }),
    destinationPath: t.exposeString("destinationPath", { description: "New file path (same file name)." }),
  }),
});

const MigrationFailure = builder.objectRef<Migration>("MigrationFailure").implement({
  description: "Why a migration failed, in Hyper-V's words and in plain language.",
  fields: (t) => ({
    code: t.string({
      description: "Typed code, e.g. SWITCH_NOT_FOUND, AUTHENTICATION_FAILED, AGENT_LOST.",
      resolve: (m) => m.failureCode ?? "UNKNOWN",
    }),
    message: t.string({ description: "Hyper-V's message.", resolve: (m) => m.failureMessage ?? "" }),
    eventId: t.int({
      nullable: true,
      description: "Hyper-V-VMMS-Admin event id (21502, 21125, 20413, 21501...).",
      resolve: (m) => m.failureEventId,
    }),
    diagnosis: t.string({ description: "What it means.", resolve: (m) => m.failureDiagnosis ?? "" }),
    remedy: t.string({ description: "What to do.", resolve: (m) => m.failureRemedy ?? "" }),
  }),
});

builder.prismaObject("MigrationSample", {
  description: "A point of a migration's timeline.",
  fields: (t) => ({
    at: t.expose("at", { type: "DateTime", description: "When it was recorded." }),
    percentComplete: t.exposeInt("percentComplete", { description: "Progress then (0-100)." }),
    state: t.expose("state", { type: MigrationStateEnum, description: "State then." }),
    message: t.exposeString("message", { nullable: true, description: "What happened, when notable." }),
  }),
});

/** Hyper-V-VMMS-Admin warning events that concern a migration, by event id. */
const WARNING_CODES: Record<number, string> = { 20417: "LONG_BLACKOUT" };

interface Warning {
  code: string;
  message: string;
  eventId: number;
  at: Date;
}

const MigrationWarning = builder.objectRef<Warning>("MigrationWarning").implement({
  description:
    "Something Hyper-V warned about during the move although it may have succeeded, e.g. a long blackout (event 20417: the VM was paused longer than expected at switch-over).",
  fields: (t) => ({
    code: t.exposeString("code", {
      description: "Typed code: LONG_BLACKOUT (event 20417), or HYPERV_WARNING for other warning events.",
    }),
    message: t.exposeString("message", { description: "Hyper-V's message." }),
    eventId: t.exposeInt("eventId", { description: "Hyper-V-VMMS-Admin event id, e.g. 20417." }),
    at: t.expose("at", { type: "DateTime", description: "When Hyper-V logged it." }),
  }),
});

export const MigrationType = builder.prismaNode("Migration", {
  description: "A requested move of a VM (live, with storage, or storage only) and its history.",
  id: { field: "id" },
  fields: (t) => ({
    kind: t.expose("kind", { type: MigrationKindEnum, description: "What moves." }),
    state: t.expose("state", { type: MigrationStateEnum, description: "Where it is in its life." }),
    vm: t.prismaField({
      type: "VirtualMachine",
      nullable: true,
      description: "The VM as the inventory shows it now (null if it no longer exists).",
      select: { vmGuid: true },
      resolve: (query, m, _args, ctx) =>
        ctx.app.db.prisma.virtualMachine.findUnique({ ...query, where: { vmId: m.vmGuid } }),
    }),
    vmName: t.exposeString("vmName", { description: "The VM's name when the move was requested." }),
    sourceHost: t.relation("sourceHost", { description: "Where the VM was." }),
    destinationHost: t.relation("destinationHost", {
      nullable: true,
      description: "Where it goes; null for STORAGE.",
    }),
    destinationStoragePath: t.exposeString("destinationStoragePath", {
      nullable: true,
      description: "Target folder for the VM's files, when storage moves.",
    }),
    vhdMoves: t.field({
      type: [VhdMove],
      description: "Per-disk moves (moveVmStorage with vhds).",
      resolve: (m) => m.vhdMoves as { sourcePath: string; destinationPath: string }[],
    }),
    percentComplete: t.exposeInt("percentComplete", { description: "0-100, never decreasing." }),
    requestedBy: t.exposeString("requestedBy", { description: "Who asked for it (token name)." }),
    requestedAt: t.expose("requestedAt", { type: "DateTime", description: "When it was requested." }),
    startedAt: t.expose("startedAt", {
      type: "DateTime",
      nullable: true,
      description: "When Hyper-V started it.",
    }),
    finishedAt: t.expose("finishedAt", { type: "DateTime", nullable: true, description: "When it ended." }),
    durationSeconds: t.float({
      nullable: true,
      description: "finishedAt - startedAt (or until now while running), in seconds.",
      select: { startedAt: true, finishedAt: true },
      resolve: (m) =>
        m.startedAt ? ((m.finishedAt ?? new Date()).getTime() - m.startedAt.getTime()) / 1000 : null,
    }),
    queuePosition: t.int({
      nullable: true,
      description: "1 = next to start; null unless QUEUED.",
      select: { state: true, seq: true },
      resolve: async (m, _args, ctx) =>
        m.state === "QUEUED"
          ? 1 + (await ctx.app.db.prisma.migration.count({ where: { state: "QUEUED", seq: { lt: m.seq } } }))
          : null,
    }),
    failure: t.field({
      type: MigrationFailure,
      nullable: true,
      description: "Why it failed (null unless FAILED).",
      resolve: (m) => (m.state === "FAILED" ? m : null),
    }),
    warnings: t.field({
      type: [MigrationWarning],
      description:
        "Hyper-V warnings about this move (from its Hyper-V-VMMS-Admin events, as the agents report them), oldest first; e.g. LONG_BLACKOUT (20417). A SUCCEEDED move may have warnings.",
      select: { id: true },
      resolve: async (m, _a, ctx) =>
        (
          await ctx.app.db.prisma.hostEvent.findMany({
            where: {
              migrationId: m.id,
              OR: [{ level: "WARNING" }, { eventId: { in: Object.keys(WARNING_CODES).map(Number) } }],
            },
            orderBy: [{ timeCreated: "asc" }, { id: "asc" }],
            select: { eventId: true, message: true, timeCreated: true },
          })
        )
          // Both hosts may log the same warning: one entry per event id and message.
          .filter(
            (e, i, all) => all.findIndex((o) => o.eventId === e.eventId && o.message === e.message) === i,
          )
          .map((e) => ({
            code: WARNING_CODES[e.eventId] ?? "HYPERV_WARNING",
            message: e.message,
            eventId: e.eventId,
            at: e.timeCreated,
          })),
    }),
    events: t.relation("events", {
      description: "Hyper-V-VMMS-Admin events of the hosts that concern this migration, oldest first.",
      query: { orderBy: [{ timeCreated: "asc" }, { id: "asc" }] },
    }),
    timeline: t.relation("samples", {
      description: "Progress and state changes, oldest first.",
      query: { orderBy: [{ at: "asc" }, { id: "asc" }] },
    }),
  }),
});

export const MigrationConnection = builder.connectionObject({
  type: MigrationType,
  name: "MigrationConnection",
  description: "A page of migrations, newest first.",
});
