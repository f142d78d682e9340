// HTTP exports of the audit log and the migration history: authorized, time-ranged, CSV escaped and
// formula-safe, JSON lines, and streamed with backpressure (10,000 entries of one day).
import http from "node:http";
import { csvCell, exportProbe } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { createToken } from "../security/principals.ts";

let api: TestApi;
let viewer: string;
const DAY = "2026-03-10";
beforeAll(async () => {
  api = await startTestApi();
  viewer = (await createToken(api, "export-viewer", "VIEWER")).secret;
});
afterAll(async () => api?.stop());

const get = (path: string, token: string | null = ADMIN_TOKEN) =>
  fetch(`${api.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

/** A small RFC 4180 parser, to read back what the export wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  return rows;
}

describe("exports", () => {
  it("escapes CSV cells and defuses formulas", () => {
    expect(csvCell('a "quoted", value')).toBe('"a ""quoted"", value"');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    for (const start of ["=", "+", "-", "@", "\t"])
      expect(csvCell(`${start}1+1`).replace(/^"/, "")[0]).toBe("'");
    expect(csvCell(null)).toBe("");
    expect(csvCell(new Date("2026-01-01T00:00:00Z"))).toBe("2026-01-01T00:00:00.000Z");
  });

  it("needs a token; audit needs ADMIN, migrations VIEWER", async () => {
    expect((await get("/export/audit.csv", null)).status).toBe(401);
    expect((await get("/export/audit.csv", viewer)).status).toBe(403);
    expect((await get("/export/audit.jsonl", viewer)).status).toBe(403);
    const migrations = await get("/export/migrations.csv", viewer);
    expect(migrations.status).toBe(200);
    expect((await migrations.text()).split("\r\n")[0]).toMatch(/^id,kind,state,vmName/);
    expect((await get("/export/migrations.jsonl", viewer)).status).toBe(200);
    expect((await get("/export/audit.csv?from=yesterday")).status).toBe(400);
    expect((await get("/export/nope.csv")).status).toBe(404);
  });

  it("writes hostile values back exactly (CSV) and as JSON lines, within the time range", async () => {
    const prisma = api.server.app.db.prisma;
    const hostile = ['=cmd|" /C calc"!A0', "+1", "-2", "@SUM(A1)", 'comma, "quote"\nnewline', "plain"];
    await prisma.auditEntry.createMany({
      data: hostile.map((target, i) => ({
        at: new Date(`2026-02-01T10:00:0${i}Z`),
        actor: "token:x",
        operation: "hostile",
        target,
        outcome: "SUCCEEDED",
        input: { target },
      })),
    });
    await prisma.auditEntry.create({
      data: {
        at: new Date("2026-02-02T10:00:00Z"),
        actor: "token:x",
        operation: "outside",
        outcome: "SUCCEEDED",
      },
    });
    const response = await get("/export/audit.csv?from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z");
    expect(response.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = parseCsv(await response.text());
    const header = rows[0]!;
    const target = header.indexOf("target");
    expect(rows.slice(1).map((r) => r[header.indexOf("operation")])).toEqual(hostile.map(() => "hostile"));
    expect(rows.slice(1).map((r) => r[target])).toEqual(
      hostile.map((h) => (/^[=+\-@]/.test(h) ? `'${h}` : h)),
    );
    const jsonl = await (
      await get("/export/audit.jsonl?from=2026-02-01T00:00:00Z&to=2026-02-02T00:00:00Z")
    ).text();
    const lines = jsonl
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.target)).toEqual(hostile);
    expect(lines[0].input).toEqual({ target: hostile[0] });
  });

  it("streams 10,000 entries of one day in batches, and stops reading while the client does not", async () => {
    const prisma = api.server.app.db.prisma;
    const filler = "x".repeat(2000); // ~2 KB of input per entry: ~25 MB of CSV, more than socket buffers hold
    for (let chunk = 0; chunk < 10; chunk++) {
      await prisma.auditEntry.createMany({
        data: Array.from({ length: 1000 }, (_, i) => ({
          at: new Date(Date.parse(`${DAY}T00:00:00Z`) + (chunk * 1000 + i) * 8000),
          actor: "token:bulk",
          operation: "bulk",
          target: `n${chunk * 1000 + i}`,
          outcome: "SUCCEEDED",
          input: { filler },
        })),
      });
    }
    const url = new URL(`${api.url}/export/audit.csv?from=${DAY}T00:00:00Z&to=${DAY}T23:59:59.999Z`);
    const start = exportProbe.batches;
    const { lines, pausedAt } = await new Promise<{ lines: number; pausedAt: number }>((resolve, reject) => {
      const req = http.get(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-length"]).toBeUndefined();
        let received = 0;
        let newlines = 0;
        let pausedAt = -1;
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          for (const byte of chunk) if (byte === 10) newlines++;
          if (pausedAt < 0 && received > 100_000) {
            // Stop reading for a while: the server must stop too (not read every batch into memory).
            res.pause();
            setTimeout(() => {
              pausedAt = exportProbe.batches - start;
              res.resume();
            }, 1500);
          }
        });
        res.on("end", () => resolve({ lines: newlines, pausedAt }));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
    expect(lines).toBe(10_001); // header + 10,000 entries
    const total = exportProbe.batches - start;
    expect(total).toBeGreaterThanOrEqual(20); // 500 per batch
    expect(pausedAt).toBeGreaterThan(0);
    expect(pausedAt).toBeLessThan(total / 2);
  });
});
