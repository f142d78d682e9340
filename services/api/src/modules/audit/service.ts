// Audit: one entry per mutation call, allowed or denied, and per agent command outcome. Changes
// Ferry makes in its own database write their entry in the same transaction (auditedTransaction),
// so a crash cannot leave one without the other. Agent telemetry (inventory, job progress, event
// reports) is not what a caller did: its data is its own record, so only its refusals and failures
// are audited. Entries of calls that changed nothing (denied, failed, a repeated request) never fail
// the caller: a failed write is retried, then queued in memory and retried in the background (and
// flushed at shutdown); losing one in a crash loses no record of a change.
import { GraphQLError } from "graphql";
import type { App, Context, Principal } from "../../context.ts";
import { principalName } from "../../context.ts";
import type { AgentCommand, Prisma } from "../../generated/prisma/client.ts";

const SECRET_KEYS = /token|secret|password|credential|authorization|cookie|privatekey/i;
const MAX_STRING = 2000;

/** Copies the input with every secret-looking value replaced, so the audit log never holds secrets. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : redact(v)]),
    );
  }
  if (typeof value === "string" && value.length > MAX_STRING) return `${value.slice(0, MAX_STRING)}…`;
  return typeof value === "bigint" ? value.toString() : value;
}

export type AuditOutcome = "SUCCEEDED" | "FAILED" | "DENIED";

export interface AuditRecord {
  operation: string;
  target?: string | null;
  input?: unknown;
  outcome: AuditOutcome;
  errorCode?: string | null;
  errorMessage?: string | null;
}

type AuditRow = Prisma.AuditEntryCreateManyInput;

export function roleOf(p: Principal | null): string | null {
  if (!p) return null;
  if (p.kind === "user") return p.role;
  return p.kind === "agent" ? "AGENT" : "ENROLLMENT";
}

function rowFor(ctx: Context, record: AuditRecord, kind = "MUTATION"): AuditRow {
  return {
    at: new Date(),
    kind,
    actor: principalName(ctx.principal),
    role: roleOf(ctx.principal),
    operation: record.operation,
    target: record.target ?? null,
    input: (redact(record.input ?? null) ?? undefined) as Prisma.InputJsonValue | undefined,
    outcome: record.outcome,
    errorCode: record.errorCode ?? null,
    errorMessage: record.errorMessage?.slice(0, MAX_STRING) ?? null,
    requestId: ctx.requestId,
  };
}

/** Test hook: makes the next `n` audit writes fail, to prove retries and the outbox. */
let injectedFailures = 0;
export function failNextAuditWrites(n: number): void {
  injectedFailures = n;
}

const outboxes = new WeakMap<App, { rows: AuditRow[]; timer: NodeJS.Timeout | null }>();
const RETRIES = [0, 50, 250];

async function insert(app: App, row: AuditRow): Promise<void> {
  if (injectedFailures > 0) {
    injectedFailures -= 1;
    throw new Error("injected audit write failure");
  }
  await app.db.prisma.auditEntry.create({ data: row });
}

/** Writes one row: a few quick retries, then the outbox. Never throws. */
export async function writeAudit(app: App, row: AuditRow): Promise<void> {
  let lastError: unknown;
  for (const delay of RETRIES) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    try {
      await insert(app, row);
      return;
    } catch (error) {
      lastError = error;
      void app.hooks.emit("auditWriteFailed");
    }
  }
  app.logger.error({ err: lastError, audit: row }, "audit write failed; queued for retry");
  const box = outboxes.get(app) ?? { rows: [], timer: null };
  outboxes.set(app, box);
  box.rows.push(row);
  if (!box.timer) {
    box.timer = setInterval(() => void flushAuditOutbox(app), 1000);
    box.timer.unref();
  }
}

/** Retries queued audit rows (in their original order and time); returns how many are still queued. */
export async function flushAuditOutbox(app: App): Promise<number> {
  const box = outboxes.get(app);
  if (!box) return 0;
  while (box.rows.length > 0) {
    try {
      await insert(app, box.rows[0]!);
      box.rows.shift();
    } catch {
      return box.rows.length;
    }
  }
  if (box.timer) clearInterval(box.timer);
  box.timer = null;
  return 0;
}

/**
 * Agent telemetry: reports an agent sends every few seconds, whose content is stored where it
 * belongs (inventory, progress samples, host events). Audited only when refused (DENIED, always)
 * or when they fail (FAILED, at most one entry per agent, operation and error per minute, so a
 * broken agent cannot flood the log). Command outcomes are audited as COMMAND entries.
 */
export const TELEMETRY_OPERATIONS: ReadonlySet<string> = new Set([
  "agentReportInventory",
  "agentJobUpdate",
  "agentReportEvents",
]);
const TELEMETRY_FAILURE_WINDOW_MS = 60_000;
const telemetryFailures = new WeakMap<App, Map<string, number>>();

/** Whether this call leaves an audit entry (see TELEMETRY_OPERATIONS). */
function audited(ctx: Context, record: AuditRecord): boolean {
  if (!TELEMETRY_OPERATIONS.has(record.operation) || record.outcome === "DENIED") return true;
  if (record.outcome === "SUCCEEDED") return false;
  const seen = telemetryFailures.get(ctx.app) ?? new Map<string, number>();
  telemetryFailures.set(ctx.app, seen);
  const key = `${principalName(ctx.principal)}|${record.operation}|${record.errorCode ?? ""}`;
  const now = Date.now();
  if (now - (seen.get(key) ?? Number.NEGATIVE_INFINITY) < TELEMETRY_FAILURE_WINDOW_MS) return false;
  if (seen.size > 10_000) seen.clear();
  seen.set(key, now);
  return true;
}

// Calls whose entry was already written inside the transaction of their change (recordIn), per
// request context and operation: runMutation's own SUCCEEDED entry for those calls is skipped. A
// flag, not a count: a transaction retried after a deadlock writes (and commits) its entry once.
// Mutations of one request run one after the other, and each call's flag is taken when it ends.
const writtenInTransaction = new WeakMap<Context, Set<string>>();

/** True (once) when this call's SUCCEEDED entry was already committed with its change. */
function takeWrittenInTransaction(ctx: Context, operation: string): boolean {
  return writtenInTransaction.get(ctx)?.delete(operation) ?? false;
}

/**
 * The audit entry of a change could not be written, so the change was rolled back: nothing
 * happened, the client may retry (a typed, retryable SERVICE_UNAVAILABLE, never a masked error).
 */
export class AuditWriteError extends GraphQLError {
  constructor(cause: unknown) {
    super(
      "The change was not made: its audit entry could not be written. Nothing was changed; retry shortly",
      {
        originalError: cause instanceof Error ? cause : undefined,
        extensions: {
          code: "SERVICE_UNAVAILABLE",
          reason: "AUDIT_WRITE_FAILED",
          retryable: true,
          http: { status: 503 },
        },
      },
    );
  }
}

/**
 * Writes the current mutation call's entry inside the transaction of the change it records. Domain
 * code that owns its transaction (the migration state machine, command issuing) takes one of these
 * from runMutation and calls it before its commit.
 */
export type AuditIn = (tx: Prisma.TransactionClient) => Promise<void>;

/**
 * Writes the SUCCEEDED entry of the mutation call being executed inside `tx`, the transaction of
 * the change it records (issue 12 item 6): a crash leaves both or neither, and if the entry cannot
 * be written the change rolls back (AuditWriteError). runMutation then does not write the call's
 * entry again (a failure after the commit still adds a FAILED entry). Prefer `auditedTransaction`,
 * or the AuditIn runMutation hands to its work.
 */
export async function recordIn(
  tx: Prisma.TransactionClient,
  ctx: Context,
  record: Omit<AuditRecord, "outcome">,
): Promise<void> {
  try {
    if (injectedFailures > 0) {
      injectedFailures -= 1;
      throw new Error("injected audit write failure");
    }
    await tx.auditEntry.create({ data: rowFor(ctx, { ...record, outcome: "SUCCEEDED" }) });
  } catch (error) {
    void ctx.app.hooks.emit("auditWriteFailed");
    throw new AuditWriteError(error);
  }
  const written = writtenInTransaction.get(ctx) ?? new Set<string>();
  writtenInTransaction.set(ctx, written);
  written.add(record.operation);
}

/**
 * Runs `change` and the audit entry of the current mutation call in one database transaction.
 * `record` is the same { operation, target, input } the resolver gives runMutation.
 */
export function auditedTransaction<T>(
  ctx: Context,
  record: Omit<AuditRecord, "outcome">,
  change: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return ctx.app.db.prisma.$transaction(async (tx) => {
    const result = await change(tx);
    await recordIn(tx, ctx, record);
    return result;
  });
}

/** Runs `change` and then the call's entry (if any) in one transaction. */
export function withAudit<T>(
  db: App["db"]["prisma"],
  audit: AuditIn | undefined,
  change: (tx: Prisma.TransactionClient) => Promise<T>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    const result = await change(tx);
    await audit?.(tx);
    return result;
  });
}

/**
 * Writes the entry of a mutation call; never throws into the caller's mutation. A SUCCEEDED call
 * whose entry was committed with its change (recordIn) is not written twice.
 */
export async function recordAudit(ctx: Context, record: AuditRecord): Promise<void> {
  // Taken whatever the outcome: a failure after (or rolling back) the change's transaction still
  // gets its FAILED entry, and the count never carries over to the next call of the request.
  const committedWithChange = takeWrittenInTransaction(ctx, record.operation);
  if (committedWithChange && record.outcome === "SUCCEEDED") return;
  if (!audited(ctx, record)) return;
  await ctx.app.inflight.track(writeAudit(ctx.app, rowFor(ctx, record)));
}

// Denied calls are recorded from scope-auth's (synchronous) unauthorizedError; the writes are
// collected per request and awaited before the response is sent (security/authentication.ts).
const pendingByContext = new WeakMap<object, Promise<void>[]>();

/** Starts the entry of a denied mutation call and keeps its promise for `awaitPendingAudits`. */
export function recordDenied(ctx: Context, record: Omit<AuditRecord, "outcome">): void {
  const write = ctx.app.inflight.track(writeAudit(ctx.app, rowFor(ctx, { ...record, outcome: "DENIED" })));
  pendingByContext.set(ctx, [...(pendingByContext.get(ctx) ?? []), write]);
}

export async function awaitPendingAudits(ctx: object): Promise<void> {
  const pending = pendingByContext.get(ctx);
  if (!pending) return;
  pendingByContext.delete(ctx);
  await Promise.all(pending);
}

/**
 * The outcome of an agent command, as a COMMAND entry (the agent's mutation has its own entry),
 * written in `tx`, the transaction that records the outcome: both commit or neither.
 */
export async function recordCommandOutcomeIn(
  tx: Prisma.TransactionClient,
  command: AgentCommand,
  requestId: string | null = null,
): Promise<void> {
  const host = await tx.host.findUnique({ where: { id: command.hostId }, select: { name: true } });
  await tx.auditEntry.create({
    data: {
      at: new Date(),
      kind: "COMMAND",
      actor: `agent:${host?.name ?? command.hostId}`,
      role: "AGENT",
      operation: `command:${command.type}`,
      target: command.migrationId ? `migration:${command.migrationId}` : `command:${command.id}`,
      input: redact({ commandId: command.id, requestedBy: command.requestedBy, payload: command.payload }) as
        | Prisma.InputJsonValue
        | undefined,
      outcome: command.status === "SUCCEEDED" ? "SUCCEEDED" : "FAILED",
      errorCode: command.errorCode,
      errorMessage: command.errorMessage?.slice(0, MAX_STRING) ?? null,
      requestId,
    },
  });
}
