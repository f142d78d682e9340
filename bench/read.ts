// Inventory read: every VM in pages of 500 (`vms(first: 500, after:)`, cursors) through GraphQL over
// HTTP, against raw SQL (node `pg`, keyset pagination on the same order) + JSON.stringify of the
// same rows and columns. Walks alternate so both see the same machine load. A GraphQL page is timed from
// the request to the response's last byte (its JSON text), a raw page to its JSON string.
// Ratio line: read-ratio-p50 / read-ratio-p99 = GraphQL page ÷ raw page (targets, issue 16: p50 ≤ 1.5, p99 ≤ 2).

import { ADMIN_TOKEN, quietProcess } from "./harness/api.ts";
import { VM_COLUMNS } from "./harness/columns.ts";
import { scaleSession } from "./harness/session.ts";
import { fmt, percentile, table } from "./harness/stats.ts";

const PAGE = 500;
const FIELDS = [...VM_COLUMNS, "updatedAt"];
const QUERY = `query Page($after: String) {
  vms(first: ${PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id ${FIELDS.join(" ")} } }
  }
}`;
/** Same columns; bigints as text like the API's BigInt scalar, timestamps as ISO strings via JSON. */
const SQL_COLUMNS = ["id", ...FIELDS]
  .map((c) => (c.endsWith("Bytes") ? `"${c}"::text AS "${c}"` : `"${c}"`))
  .join(", ");

type PageResult = { vms: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: unknown[] } };

export async function runReadBench(): Promise<void> {
  const session = await scaleSession();
  const { api, sizes, stats } = session;
  const maxPages = Math.ceil(stats.vms / PAGE) + 2;
  let deadline = performance.now() + 240_000;

  async function graphqlWalk(): Promise<{ ms: number[]; rows: number }> {
    const ms: number[] = [];
    let rows = 0;
    const seen = new Set<string>();
    let after: string | null = null;
    for (let page = 0; page < maxPages && performance.now() < deadline; page++) {
      const t = performance.now();
      const response = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ query: QUERY, variables: { after } }),
      });
      // Timed to the page's last byte, as the raw side stops at its JSON string; decoding it is the
      // client's work and is left out of both.
      const text = await response.text();
      ms.push(performance.now() - t);
      const body = JSON.parse(text) as { data?: PageResult; errors?: unknown[] };
      if (!body.data || body.errors)
        throw new Error(`vms page failed: ${JSON.stringify(body.errors).slice(0, 500)}`);
      rows += body.data.vms.edges.length;
      for (const e of body.data.vms.edges as { node: { id: string } }[]) seen.add(e.node.id);
      if (!body.data.vms.pageInfo.hasNextPage) break;
      after = body.data.vms.pageInfo.endCursor;
    }
    // Paging must neither skip nor repeat a VM (names repeat across hosts: the id breaks ties).
    if (seen.size !== rows) throw new Error(`the GraphQL walk returned ${rows - seen.size} VMs twice`);
    return { ms, rows };
  }

  async function rawWalk(): Promise<{ ms: number[]; rows: number }> {
    const ms: number[] = [];
    let rows = 0;
    let last: { name: string; id: string } | null = null;
    const client = await session.pg.connect();
    try {
      for (let page = 0; page < maxPages && performance.now() < deadline; page++) {
        const t = performance.now();
        const result: { rows: { name: string; id: string }[] } = last
          ? await client.query(
              `SELECT ${SQL_COLUMNS} FROM "VirtualMachine" WHERE ("name", "id") > ($1, $2::uuid) ORDER BY "name", "id" LIMIT ${PAGE + 1}`,
              [last.name, last.id],
            )
          : await client.query(
              `SELECT ${SQL_COLUMNS} FROM "VirtualMachine" ORDER BY "name", "id" LIMIT ${PAGE + 1}`,
            );
        const pageRows = result.rows.slice(0, PAGE);
        const json = JSON.stringify({ rows: pageRows, hasNextPage: result.rows.length > PAGE });
        ms.push(performance.now() - t);
        if (json.length === 0) throw new Error("unreachable");
        rows += pageRows.length;
        if (result.rows.length <= PAGE) break;
        last = pageRows[pageRows.length - 1]!;
      }
    } finally {
      client.release();
    }
    return { ms, rows };
  }

  // The pages are measured once the API has finished with the agents' first reports and their reactions
  // (readiness, webhooks): a page waiting behind that work measures the work, not the page.
  const quiet = await quietProcess(api.pid);
  console.log(
    `API quiet (${quiet.cpuPercent.toFixed(0)} % of a core) after ${quiet.waitedSeconds.toFixed(0)} s; reading`,
  );
  deadline = performance.now() + 240_000;
  // Warm-up walk of each (not counted), then alternate.
  await graphqlWalk();
  await rawWalk();
  const gq: number[] = [];
  const raw: number[] = [];
  let gqRows = 0;
  let rawRows = 0;
  for (let w = 0; w < sizes.readWalks && performance.now() < deadline; w++) {
    const g = await api.profiler.phase(`read-${w + 1}`, graphqlWalk);
    const r = await rawWalk();
    gq.push(...g.ms);
    raw.push(...r.ms);
    gqRows = g.rows;
    rawRows = r.rows;
  }
  if (gqRows !== stats.vms || rawRows !== stats.vms) {
    throw new Error(`walks saw ${gqRows} (GraphQL) and ${rawRows} (raw) VMs, expected ${stats.vms}`);
  }
  console.log(
    `${stats.vms} VMs in pages of ${PAGE} (${FIELDS.length + 1} columns), ${sizes.readWalks} walks each`,
  );
  table([
    ["path", "pages", "p50 ms", "p99 ms", "max ms", "VMs/s"],
    ...(
      [
        ["GraphQL over HTTP (vms(first: 500, after))", gq],
        ["raw SQL (pg keyset) + JSON.stringify", raw],
      ] as const
    ).map(([name, ms]) => [
      name,
      String(ms.length),
      fmt(percentile(ms, 50)),
      fmt(percentile(ms, 99)),
      fmt(Math.max(...ms)),
      fmt((ms.length * PAGE) / (ms.reduce((a, b) => a + b, 0) / 1000), 0),
    ]),
  ]);
  const r50 = percentile(gq, 50) / percentile(raw, 50);
  const r99 = percentile(gq, 99) / percentile(raw, 99);
  console.log(
    `target: GraphQL page p50 ≤ 1.5× and p99 ≤ 2× raw: ${r50 <= 1.5 && r99 <= 2 ? "met" : "MISSED"}`,
  );
  console.log(`read-graphql-p50-ms: ${percentile(gq, 50).toFixed(1)}`);
  console.log(`read-graphql-p99-ms: ${percentile(gq, 99).toFixed(1)}`);
  console.log(`read-raw-p50-ms: ${percentile(raw, 50).toFixed(1)}`);
  console.log(`read-raw-p99-ms: ${percentile(raw, 99).toFixed(1)}`);
  console.log(`read-ratio-p50: ${r50.toFixed(2)}`);
  console.log(`read-ratio-p99: ${r99.toFixed(2)}`);
}
