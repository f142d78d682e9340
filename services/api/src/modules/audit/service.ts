// Audit: one entry per mutation call, allowed or denied, and per agent command outcome.
import type { Context } from "../../context.ts";
import { principalName } from "../../context.ts";

const SECRET_KEYS = /token|secret|password|credential|authorization/i;

/** Copies the input with every secret-looking value replaced, so the audit log never holds secrets. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : redact(v)]),
    );
  }
  return typeof value === "bigint" ? value.toString() : value;
}

export interface AuditRecord {
  operation: string;
  target?: string | null;
  input?: unknown;
  outcome: "SUCCEEDED" | "FAILED" | "DENIED";
  errorCode?: string | null;
  errorMessage?: string | null;
}

/** Writes the entry; a failing audit write is logged, never thrown into the caller's mutation. */
export async function recordAudit(ctx: Context, record: AuditRecord): Promise<void> {
  const p = ctx.principal;
  try {
    await ctx.app.db.prisma.auditEntry.create({
      data: {
        actor: principalName(p),
        role: p?.kind === "user" ? p.role : p?.kind === "agent" ? "AGENT" : null,
        operation: record.operation,
        target: record.target ?? null,
        input: (redact(record.input ?? null) ?? undefined) as object | undefined,
        outcome: record.outcome,
        errorCode: record.errorCode ?? null,
        errorMessage: record.errorMessage ?? null,
        requestId: ctx.requestId,
      },
    });
  } catch (error) {
    ctx.app.logger.error({ err: error, operation: record.operation }, "audit write failed");
  }
}
