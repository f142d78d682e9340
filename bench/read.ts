// Inventory read: every VM in pages of 500 (`vms(first: 500, after:)`, cursors) through GraphQL over HTTP,
// against its baseline doing the same work without the API: raw SQL + JSON over HTTP, in a process of its
// own like the API (harness/raw-vms-server.ts: the statement the API runs for the page, the JSON the API
// answers for this query, same fields, same shape). Both are timed the same way, from the request to the
// response's last byte (its JSON text; decoding it is the client's work and is left out of both).
// The two are interleaved page by page (GraphQL page i and raw page i back to back, which one goes first
// alternating), so both see the same machine load, and each GraphQL page is paired with the raw page next
// to it. Reported: p50 and p99 of each side, and the paired ratios' median and spread (min / p10 / p25 /
// median / p75 / p90 / max). A third, informational line times raw SQL + JSON.stringify in this process
// (no HTTP: the previous baseline).
// Ratio lines (targets, issue 16): read-ratio-p50 = median of the paired ratios (≤ 1.5),
// read-ratio-p99 = GraphQL p99 ÷ raw p99 (≤ 2).
import { ADMIN_TOKEN, cpuSecondsOf, quietProcess } from "./harness/api.ts";
import {
  apiWork,
  describeWork,
  REACTIONS_SETTLED_MS,
  reactionsSettled,
  workBetween,
} from "./harness/api-work.ts";
import { intEnv } from "./harness/env.ts";
import { RAW_PAGE_FIELDS, startRawVmsServer } from "./harness/raw-vms-server.ts";
import { scaleSession } from "./harness/session.ts";
import { fmt, percentile, quantile, table } from "./harness/stats.ts";

const PAGE = 500;
const QUERY = `query Page($after: String) {
  vms(first: ${PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { ${RAW_PAGE_FIELDS.join(" ")} } }
  }
}`;
/** Same columns for the in-process line; bigints as text like the API's BigInt scalar. */
const SQL_COLUMNS = RAW_PAGE_FIELDS.map((c) =>
  c.endsWith("Bytes") ? `"${c}"::text AS "${c}"` : `"${c}"`,
).join(", ");

interface Page {
  edges: { node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** One page over HTTP: ms to the last byte, and the page. */
async function httpPage(url: string, body: unknown, headers: Record<string, string> = {}) {
  const t = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const ms = performance.now() - t;
  const parsed = JSON.parse(text) as { data?: { vms: Page }; errors?: unknown[] };
  if (!parsed.data || parsed.errors) throw new Error(`vms page failed: ${text.slice(0, 500)}`);
  return { ms, page: parsed.data.vms };
}

/** A walk over every page, one page at a time when `next()` is called. */
function walker(fetchPage: (after: string | null) => Promise<{ ms: number; page: Page }>) {
  let after: string | null = null;
  let done = false;
  const seen = new Set<string>();
  let rows = 0;
  return {
    get done() {
      return done;
    },
    get rows() {
      return rows;
    },
    get distinct() {
      return seen.size;
    },
    async next(): Promise<number> {
      const { ms, page } = await fetchPage(after);
      rows += page.edges.length;
      for (const e of page.edges) seen.add(e.node.id);
      done = !page.pageInfo.hasNextPage;
      after = page.pageInfo.endCursor;
      return ms;
    },
  };
}

export async function runReadBench(): Promise<void> {
  const session = await scaleSession();
  const { api, sizes, stats } = session;
  const pagesPerWalk = Math.ceil(stats.vms / PAGE);
  // A p99 needs pages: at least BENCH_READ_MIN_PAGES pairs (default 60), in whole walks.
  const walks = Math.max(
    sizes.readWalks,
    Math.ceil(intEnv("BENCH_READ_MIN_PAGES", 60, 1, 10_000) / pagesPerWalk),
  );
  const raw = await startRawVmsServer(session.db.url, PAGE);
  const client = await session.pg.connect();
  try {
    const graphqlWalk = () =>
      walker((after) =>
        httpPage(
          `${api.url}/graphql`,
          { query: QUERY, variables: { after } },
          { authorization: `Bearer ${ADMIN_TOKEN}` },
        ),
      );
    const rawWalk = () => walker((after) => httpPage(raw.url, { after }));
    // The previous baseline, for reference: the same columns in this process, JSON.stringify, no HTTP.
    const inProcessWalk = () => {
      let last: { name: string; id: string } | null = null;
      return walker(async () => {
        const t = performance.now();
        const { rows } = last
          ? await client.query(
              `SELECT ${SQL_COLUMNS} FROM "VirtualMachine" WHERE ("name", "id") > ($1, $2::uuid) ORDER BY "name", "id" LIMIT ${PAGE + 1}`,
              [last.name, last.id],
            )
          : await client.query(
              `SELECT ${SQL_COLUMNS} FROM "VirtualMachine" ORDER BY "name", "id" LIMIT ${PAGE + 1}`,
            );
        const pageRows = rows.slice(0, PAGE) as { name: string; id: string }[];
        const json = JSON.stringify({ rows: pageRows, hasNextPage: rows.length > PAGE });
        const ms = performance.now() - t;
        if (json.length === 0) throw new Error("unreachable");
        last = pageRows[pageRows.length - 1] ?? null;
        return {
          ms,
          page: {
            edges: pageRows.map((node) => ({ node })),
            pageInfo: { hasNextPage: rows.length > PAGE, endCursor: last?.id ?? null },
          },
        };
      });
    };

    // The pages are measured once the API has finished with the previous phases' reactions (the ingest
    // phase's 2,000 reports and the agents' first reports: drift, readiness, webhooks, batched after the
    // answers, inventory-reactions.ts) and is quiet: a page waiting behind that work measures the work, not
    // the page. Said in the output, with how long it took.
    const settled = await api.profiler.phase("read-settle", async () => {
      const reactions = await reactionsSettled(api.url);
      const quiet = await quietProcess(api.pid);
      return { reactions, quiet };
    });
    const { reactions, quiet } = settled;
    console.log(
      `waited ${(reactions.waitedSeconds + quiet.waitedSeconds).toFixed(1)} s before reading: ${reactions.waitedSeconds.toFixed(1)} s until no inventory reaction batch had ended for ${REACTIONS_SETTLED_MS / 1000} s (${reactions.hosts} hosts in ${reactions.batches} batches, ${reactions.seconds.toFixed(1)} s, ended meanwhile${reactions.timedOut ? "; gave up waiting" : ""}), then ${quiet.waitedSeconds.toFixed(1)} s until the API used < 10 % of a core for 2 s (${quiet.cpuPercent.toFixed(0)} %)`,
    );
    console.log(`read-waited-for-reactions-s: ${reactions.waitedSeconds.toFixed(1)}`);
    const deadline = performance.now() + 240_000;
    // Warm-up walk of each (not counted).
    for (const walk of [graphqlWalk(), rawWalk(), inProcessWalk()]) while (!walk.done) await walk.next();

    const gq: number[] = [];
    const rawMs: number[] = [];
    const local: number[] = [];
    const ratios: number[] = [];
    const localRatios: number[] = [];
    let pairs = 0;
    let walked = 0;
    // CPU time of each server process over the measured walks: the least load-dependent figure of the
    // two (a descheduled process waits without using CPU). The API also does its idle work meanwhile
    // (agents' heartbeats, workers): its rate over 3 s without requests is subtracted.
    const idle0 = cpuSecondsOf(api.pid);
    const idleT0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const apiIdleRate = (cpuSecondsOf(api.pid) - idle0) / ((performance.now() - idleT0) / 1000);
    const apiCpu0 = cpuSecondsOf(api.pid);
    const rawCpu0 = cpuSecondsOf(raw.pid);
    const walksT0 = performance.now();
    const work0 = await apiWork(api.url);
    for (let w = 0; w < walks && performance.now() < deadline; w++) {
      const g = graphqlWalk();
      const r = rawWalk();
      const l = inProcessWalk();
      await api.profiler.phase(`read-${w + 1}`, async () => {
        while (!g.done) {
          // Alternate which goes first; the in-process line runs between or after them.
          const first = pairs % 2 === 0 ? g : r;
          const second = first === g ? r : g;
          const a = await first.next();
          const lm = await l.next();
          const b = await second.next();
          const [gm, rm] = first === g ? [a, b] : [b, a];
          gq.push(gm);
          rawMs.push(rm);
          local.push(lm);
          ratios.push(gm / rm);
          localRatios.push(gm / lm);
          pairs++;
        }
      });
      if (!r.done || !l.done) throw new Error("the raw walks have more pages than the GraphQL walk");
      // Paging must neither skip nor repeat a VM (names repeat across hosts: the id breaks ties).
      for (const [name, walk] of [
        ["GraphQL", g],
        ["raw", r],
        ["in-process", l],
      ] as const) {
        if (walk.rows !== stats.vms || walk.distinct !== stats.vms) {
          throw new Error(
            `the ${name} walk saw ${walk.rows} VMs (${walk.distinct} distinct), expected ${stats.vms}`,
          );
        }
      }
      walked++;
    }
    const during = workBetween(work0, await apiWork(api.url));
    const apiIdleMs = apiIdleRate * (performance.now() - walksT0);
    const apiCpuMs = ((cpuSecondsOf(api.pid) - apiCpu0) * 1000 - apiIdleMs) / pairs;
    const rawCpuMs = ((cpuSecondsOf(raw.pid) - rawCpu0) * 1000) / pairs;
    console.log(
      `${stats.vms} VMs in pages of ${PAGE} (${RAW_PAGE_FIELDS.length} columns), ${walked} walks, ${pairs} interleaved pairs`,
    );
    table([
      ["path", "pages", "p50 ms", "p99 ms", "max ms", "VMs/s"],
      ...(
        [
          ["GraphQL over HTTP (vms(first: 500, after))", gq],
          ["raw SQL + JSON over HTTP (baseline)", rawMs],
          ["raw SQL + JSON.stringify in process (no HTTP)", local],
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
    const spread = (values: number[]) =>
      [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1].map((q) => quantile(values, q).toFixed(2)).join(" / ");
    console.log(
      `paired ratios (GraphQL ÷ raw over HTTP), min / p10 / p25 / median / p75 / p90 / max: ${spread(ratios)}`,
    );
    console.log(`paired ratios (GraphQL ÷ raw in process, no HTTP), same quantiles: ${spread(localRatios)}`);
    console.log(
      `CPU per page: API ${apiCpuMs.toFixed(1)} ms (its idle rate, ${(apiIdleRate * 100).toFixed(1)} % of a core, subtracted), raw baseline server ${rawCpuMs.toFixed(1)} ms (${(apiCpuMs / rawCpuMs).toFixed(2)}×)`,
    );
    console.log(`the API's own work that ended during the walks: ${describeWork(during)}`);
    const r50 = quantile(ratios, 0.5);
    const r99 = percentile(gq, 99) / percentile(rawMs, 99);
    console.log(
      `target: median paired ratio ≤ 1.5 and p99 ≤ 2× raw: ${r50 <= 1.5 && r99 <= 2 ? "met" : "MISSED"}`,
    );
    console.log(`read-graphql-p50-ms: ${percentile(gq, 50).toFixed(1)}`);
    console.log(`read-graphql-p99-ms: ${percentile(gq, 99).toFixed(1)}`);
    console.log(`read-raw-p50-ms: ${percentile(rawMs, 50).toFixed(1)}`);
    console.log(`read-raw-p99-ms: ${percentile(rawMs, 99).toFixed(1)}`);
    console.log(`read-raw-in-process-p50-ms: ${percentile(local, 50).toFixed(1)}`);
    console.log(`read-ratio-p50-of-p50s: ${(percentile(gq, 50) / percentile(rawMs, 50)).toFixed(2)}`);
    console.log(`read-ratio-in-process-median: ${quantile(localRatios, 0.5).toFixed(2)}`);
    console.log(`read-cpu-per-page-api-ms: ${apiCpuMs.toFixed(1)}`);
    console.log(`read-cpu-per-page-raw-ms: ${rawCpuMs.toFixed(1)}`);
    console.log(`read-ratio-p25: ${quantile(ratios, 0.25).toFixed(2)}`);
    console.log(`read-ratio-p75: ${quantile(ratios, 0.75).toFixed(2)}`);
    console.log(`read-ratio-p50: ${r50.toFixed(2)}`);
    console.log(`read-ratio-p99: ${r99.toFixed(2)}`);
  } finally {
    client.release();
    await raw.stop();
  }
}
