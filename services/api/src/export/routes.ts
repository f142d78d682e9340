// Bulk exports over HTTP for audit reporting: GET /export/{audit,migrations}.{csv,jsonl}?from=&to=
// with a bearer token (audit: ADMIN, migrations: VIEWER or higher). Rows are read in keyset-paginated
// batches and written as they come, waiting for the client to drain, so memory stays flat whatever
// the size of the range.
import { once } from "node:events";
import type http from "node:http";
import type { App, Principal } from "../context.ts";
import type { AuditEntry, Migration } from "../generated/prisma/client.ts";
import { bearer } from "../modules/auth/secrets.ts";
import { authenticate } from "../modules/auth/service.ts";
import { parseDateTime } from "../modules/shared/dates.ts";
import { sendError } from "../security/http.ts";
import { csvRow } from "./csv.ts";

const BATCH = 500;

/** Batches read from the database by exports so far (lets tests observe backpressure). */
export const exportProbe = { batches: 0 };

type MigrationRow = Migration & { sourceHost: { name: string }; destinationHost: { name: string } | null };

type Row = Record<string, unknown>;
type Batches = (from: Date | null, to: Date | null) => AsyncGenerator<Row[]>;

const AUDIT_COLUMNS = [
  "id",
  "at",
  "kind",
  "actor",
  "role",
  "operation",
  "target",
  "outcome",
  "errorCode",
  "errorMessage",
  "requestId",
  "input",
];

const MIGRATION_COLUMNS = [
  "id",
  "kind",
  "state",
  "vmName",
  "vmGuid",
  "sourceHost",
  "destinationHost",
  "destinationStoragePath",
  "percentComplete",
  "requestedBy",
  "requestedAt",
  "startedAt",
  "finishedAt",
  "durationSeconds",
  "failureCode",
  "failureMessage",
];

function range(field: string, from: Date | null, to: Date | null) {
  return from || to ? { [field]: { ...(from ? { gte: from } : {}), ...(to ? { lt: to } : {}) } } : {};
}

function auditBatches(app: App): Batches {
  return async function* (from, to) {
    let after: bigint | null = null;
    while (true) {
      const rows: AuditEntry[] = await app.db.prisma.auditEntry.findMany({
        where: { ...range("at", from, to), ...(after !== null ? { id: { gt: after } } : {}) },
        orderBy: { id: "asc" },
        take: BATCH,
      });
      exportProbe.batches += 1;
      if (rows.length === 0) return;
      after = rows.at(-1)!.id;
      yield rows.map((r) => ({ ...r, id: r.id.toString() }));
      if (rows.length < BATCH) return;
    }
  };
}

function migrationBatches(app: App): Batches {
  return async function* (from, to) {
    let after: bigint | null = null;
    while (true) {
      const rows: MigrationRow[] = await app.db.prisma.migration.findMany({
        where: { ...range("requestedAt", from, to), ...(after !== null ? { seq: { gt: after } } : {}) },
        orderBy: { seq: "asc" },
        take: BATCH,
        include: { sourceHost: { select: { name: true } }, destinationHost: { select: { name: true } } },
      });
      if (rows.length === 0) return;
      after = rows.at(-1)!.seq;
      yield rows.map((m) => ({
        id: m.id,
        kind: m.kind,
        state: m.state,
        vmName: m.vmName,
        vmGuid: m.vmGuid,
        sourceHost: m.sourceHost.name,
        destinationHost: m.destinationHost?.name ?? null,
        destinationStoragePath: m.destinationStoragePath,
        percentComplete: m.percentComplete,
        requestedBy: m.requestedBy,
        requestedAt: m.requestedAt,
        startedAt: m.startedAt,
        finishedAt: m.finishedAt,
        durationSeconds:
          m.startedAt && m.finishedAt ? (m.finishedAt.getTime() - m.startedAt.getTime()) / 1000 : null,
        failureCode: m.failureCode,
        failureMessage: m.failureMessage,
      }));
      if (rows.length < BATCH) return;
    }
  };
}

const EXPORTS: Record<
  string,
  { columns: string[]; allowed: (p: Principal) => boolean; batches: (app: App) => Batches }
> = {
  audit: {
    columns: AUDIT_COLUMNS,
    allowed: (p) => p.kind === "user" && p.role === "ADMIN",
    batches: auditBatches,
  },
  migrations: { columns: MIGRATION_COLUMNS, allowed: (p) => p.kind === "user", batches: migrationBatches },
};

/** A `from`/`to` parameter, checked before any header is sent (the database refuses some dates). */
function parseTime(value: string | null, name: string): Date | null | Error {
  if (value === null || value === "") return null;
  const date = parseDateTime(value);
  return typeof date === "string" ? new Error(`${name} ${date}`) : date;
}

/** True when `url` is an export path (the caller then leaves the response to this module). */
export function isExportPath(pathname: string): boolean {
  return pathname.startsWith("/export/");
}

/** Serves one export request; never throws (a failure mid-stream ends the response early). */
export async function handleExport(app: App, req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
  const match = /^\/export\/(audit|migrations)\.(csv|jsonl)$/.exec(url.pathname);
  if (!match) return sendError(res, 404, "NOT_FOUND", "Exports: /export/{audit,migrations}.{csv,jsonl}");
  if (req.method !== "GET")
    return sendError(res, 405, "METHOD_NOT_ALLOWED", "Exports are GET only", { allow: "GET" });
  const principal = await authenticate(app, bearer(req.headers.authorization));
  if (!principal) return sendError(res, 401, "UNAUTHENTICATED", "Send Authorization: Bearer <token>");
  const spec = EXPORTS[match[1]!]!;
  if (!spec.allowed(principal)) {
    return sendError(res, 403, "FORBIDDEN", `Forbidden: your role may not export ${match[1]}`);
  }
  const from = parseTime(url.searchParams.get("from"), "from");
  const to = parseTime(url.searchParams.get("to"), "to");
  if (from instanceof Error) return sendError(res, 400, "BAD_USER_INPUT", from.message);
  if (to instanceof Error) return sendError(res, 400, "BAD_USER_INPUT", to.message);
  const csv = match[2] === "csv";
  res.writeHead(200, {
    "content-type": csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
    "content-disposition": `attachment; filename="ferry-${match[1]}.${match[2]}"`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  let closed = false;
  res.once("close", () => (closed = true));
  const write = async (chunk: string) => {
    if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
  };
  try {
    if (csv) await write(csvRow(spec.columns));
    for await (const rows of spec.batches(app)(from, to)) {
      if (closed) return;
      const text = rows
        .map((r) =>
          csv
            ? csvRow(spec.columns.map((c) => r[c]))
            : `${JSON.stringify(Object.fromEntries(spec.columns.map((c) => [c, r[c] ?? null])))}\n`,
        )
        .join("");
      await write(text);
    }
    res.end();
  } catch (error) {
    app.logger.error({ err: error, export: url.pathname }, "export failed");
    res.destroy();
  }
}
