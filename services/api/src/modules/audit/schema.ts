// The audit log as GraphQL: AuditEntry, AuditFilter and the ADMIN-only auditLog query (newest first).
import { builder } from "../../builder.ts";
import { ValidationError } from "../../errors.ts";
import type { Prisma } from "../../generated/prisma/client.ts";

export const AuditOutcome = builder.enumType("AuditOutcome", {
  description: "How an audited call ended.",
  values: {
    SUCCEEDED: { description: "It did what was asked." },
    FAILED: { description: "It was allowed but failed (see errorCode / errorMessage); nothing was changed." },
    DENIED: { description: "The caller was not authenticated or its role may not do it." },
  },
});

export const AuditKind = builder.enumType("AuditKind", {
  description: "What was audited.",
  values: {
    MUTATION: { description: "A GraphQL mutation call." },
    COMMAND: { description: "An agent's answer to a command (the outcome on the host)." },
  },
});

export const AuditFilter = builder.inputType("AuditFilter", {
  description: "Filters for the audit log; all given conditions must hold.",
  fields: (t) => ({
    actor: t.string({ description: "Exact actor, e.g. token:ci-pipeline or agent:HV01." }),
    operation: t.string({ description: "Exact operation, e.g. moveVm or command:MOVE_VM." }),
    outcome: t.field({ type: AuditOutcome, description: "Only entries with this outcome." }),
    kind: t.field({ type: AuditKind, description: "Only mutations or only command outcomes." }),
    from: t.field({ type: "DateTime", description: "Entries at or after this instant." }),
    to: t.field({ type: "DateTime", description: "Entries before this instant." }),
  }),
});

export interface AuditWhereInput {
  actor?: string | null;
  operation?: string | null;
  outcome?: string | null;
  kind?: string | null;
  from?: Date | null;
  to?: Date | null;
}

/** The Prisma filter of an AuditFilter (shared by auditLog and the HTTP export). */
export function auditWhere(filter: AuditWhereInput | null | undefined): Prisma.AuditEntryWhereInput {
  if (!filter) return {};
  if (filter.from && filter.to && filter.from > filter.to) {
    throw new ValidationError("filter.to", "`to` must not be before `from`");
  }
  return {
    ...(filter.actor ? { actor: filter.actor } : {}),
    ...(filter.operation ? { operation: filter.operation } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.kind ? { kind: filter.kind } : {}),
    ...(filter.from || filter.to
      ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
      : {}),
  };
}

export const AuditEntryType = builder.prismaObject("AuditEntry", {
  description: "Who did what, when, with what result. Inputs are stored with secrets redacted.",
  authScopes: { admin: true },
  fields: (t) => ({
    id: t.string({ description: "Entry number (increasing).", resolve: (e) => e.id.toString() }),
    at: t.expose("at", { type: "DateTime", description: "When it happened." }),
    kind: t.string({ description: "MUTATION or COMMAND.", resolve: (e) => e.kind }),
    actor: t.exposeString("actor", {
      description: "Who: token:<name>, agent:<host>, enrollment:<host> or anonymous.",
    }),
    role: t.exposeString("role", { nullable: true, description: "The caller's role; null when anonymous." }),
    operation: t.exposeString("operation", { description: "Mutation name, or command:<TYPE>." }),
    target: t.exposeString("target", { nullable: true, description: "What it acted on (id or name)." }),
    input: t.field({
      type: "JSON",
      nullable: true,
      description: "The arguments, secrets redacted.",
      resolve: (e) => e.input,
    }),
    outcome: t.field({
      type: AuditOutcome,
      description: "SUCCEEDED, FAILED or DENIED.",
      resolve: (e) => e.outcome as "SUCCEEDED" | "FAILED" | "DENIED",
    }),
    errorCode: t.exposeString("errorCode", {
      nullable: true,
      description: "Typed error code when not SUCCEEDED.",
    }),
    errorMessage: t.exposeString("errorMessage", {
      nullable: true,
      description: "Error message when not SUCCEEDED.",
    }),
    requestId: t.exposeString("requestId", {
      nullable: true,
      description: "Request id (the X-Request-Id header when sent), to correlate with logs.",
    }),
  }),
});

const AuditEntryConnection = builder.connectionObject({
  type: AuditEntryType,
  name: "AuditEntryConnection",
  description: "A page of audit entries, newest first.",
});

builder.queryField("auditLog", (t) =>
  t.prismaConnection(
    {
      type: "AuditEntry",
      cursor: "id",
      description:
        "ADMIN: the audit log, newest first. For bulk reads use GET /export/audit.csv or /export/audit.jsonl.",
      authScopes: { admin: true },
      args: { filter: t.arg({ type: AuditFilter, description: "Filter the entries." }) },
      totalCount: (_parent, args, ctx) =>
        ctx.app.db.prisma.auditEntry.count({ where: auditWhere(args.filter) }),
      resolve: (query, _parent, args, ctx) =>
        ctx.app.db.prisma.auditEntry.findMany({
          ...query,
          where: auditWhere(args.filter),
          orderBy: { id: "desc" },
        }),
    },
    AuditEntryConnection,
  ),
);
