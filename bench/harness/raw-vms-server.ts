// The read benchmark's baseline (bench/read.ts): raw SQL + JSON over HTTP, as its own process like the API.
// POST /page {"after": <id of the last VM of the previous page> | null} runs the statement the API runs for
// a `vms` page (modules/vms/page.ts: every column, keyset on (name, id) with the cursor row as a
// subselect, one row more to know whether a next page exists) and answers the JSON the API answers for
// the benchmark's query: {"data":{"vms":{"pageInfo":{...},"edges":[{"node":{...}}]}}}, the same fields in
// the same order, bigints as strings, timestamps as ISO strings. What it leaves out is what makes the API
// an API: authentication, limits, GraphQL parsing and validation, global ids, metrics.
// Started by startRawVmsServer(); prints "listening <port>" when ready.
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { VM_COLUMNS } from "./columns.ts";
import { benchEnv } from "./env.ts";

export const RAW_PAGE_FIELDS = ["id", ...VM_COLUMNS, "updatedAt"] as const;

function serve(databaseUrl: string, pageSize: number): Promise<number> {
  // `timestamp` columns hold UTC (Prisma writes UTC); pg's default parser would read them as local time.
  const types = {
    getTypeParser: ((oid: number, format?: "text" | "binary") =>
      oid === 1114
        ? (text: string) => new Date(`${text.replace(" ", "T")}Z`)
        : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const { after } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { after: string | null };
        const where = after
          ? `WHERE ("name", "id") > (SELECT "name", "id" FROM "VirtualMachine" WHERE "id" = $1::uuid)`
          : "";
        const { rows } = await pool.query<Record<string, unknown>>({
          text: `SELECT * FROM "VirtualMachine" ${where} ORDER BY "name", "id" LIMIT ${pageSize + 1}`,
          values: after ? [after] : [],
          types,
        });
        const page = rows.slice(0, pageSize);
        const edges = page.map((row) => {
          const node: Record<string, unknown> = {};
          for (const field of RAW_PAGE_FIELDS) node[field] = row[field];
          return { node };
        });
        const body = JSON.stringify({
          data: {
            vms: {
              pageInfo: {
                hasNextPage: rows.length > pageSize,
                endCursor: page.length ? (page[page.length - 1]!.id as string) : null,
              },
              edges,
            },
          },
        });
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(body);
      })().catch((error: Error) => {
        res.writeHead(500, { "content-type": "text/plain" }).end(error.message);
      });
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
}

export interface RawVmsServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the baseline server as a child process on `databaseUrl`; resolves once it listens. */
export async function startRawVmsServer(databaseUrl: string, pageSize: number): Promise<RawVmsServer> {
  // BENCH_RAW_NODE_ARGS: node flags for this process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof-raw" (its
  // profile, to set beside the API's).
  const nodeArgs = (benchEnv("BENCH_RAW_NODE_ARGS") ?? "").split(" ").filter(Boolean);
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", import.meta.filename],
    {
      env: { ...process.env, RAW_VMS_DATABASE_URL: databaseUrl, RAW_VMS_PAGE_SIZE: String(pageSize) },
      cwd: path.resolve(import.meta.dirname, "../.."),
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`the raw baseline server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}/page`,
    pid: child.pid!,
    async stop() {
      process.off("exit", killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const port = await serve(benchEnv("RAW_VMS_DATABASE_URL")!, Number(benchEnv("RAW_VMS_PAGE_SIZE")));
  // A normal exit on SIGTERM, so that --cpu-prof writes its profile.
  process.once("SIGTERM", () => process.exit(0));
  console.log(`listening ${port}`);
}
