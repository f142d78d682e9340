// The embedded default under load (issue 16 item 4): a fleet dashboard (hosts with settings,
// readiness and their first VMs) is two SQL statements, answers what Prisma's path answers, and
// identical dashboards that share one execution (security/read-gate.ts) never answer with data older
// than a write committed before they were sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DASHBOARD_QUERY } from "../../bench/embedded.ts";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet } from "../helpers/fleet.ts";
import { statementsDuring } from "../helpers/sql.ts";

let api: TestApi;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
beforeAll(async () => {
  // The gate as on the embedded database (one heavy query at a time, identical waiting ones shared),
  // whichever database this tier runs on.
  api = await startTestApi({ FERRY_HEAVY_QUERY_CONCURRENCY: "1", FERRY_RATE_LIMIT_PER_SECOND: "0" });
  // 12 VMs per host: the dashboard shows the first 10 and counts 12. The agents stop once every host
  // reported, so the data stays still while the two paths are compared.
  const fleet = await startTestFleet(api, { hosts: 6, vmsPerHost: 12, timeScale: 50 });
  await fleet.stop();
}, 120_000);
afterAll(async () => api?.stop());

/** Prisma's path for the same page: a filter that filters nothing (hosts/queries.ts). */
const viaPrisma = (query: string) => query.replace(/hosts\(first: (\d+)\)/, "hosts(first: $1, filter: {})");
const DASHBOARD_TABLES =
  /"(Host|MigrationSettings|MigrationNetwork|FirewallRule|NetworkAdapter|VirtualMachine)"/;
const dashboardStatements = (sql: string[]) =>
  sql.filter((q) => DASHBOARD_TABLES.test(q) && /^\s*SELECT/i.test(q));

type Dashboard = {
  hosts: {
    totalCount: number;
    edges: {
      node: {
        name: string;
        memoryAvailableBytes: string;
        readiness: { name: string; status: string }[];
        vms: { totalCount: number; edges: unknown[] };
      };
    }[];
  };
};

describe("the dashboard query", () => {
  it("is two SQL statements (hosts with their relations; the first VMs of each) and answers as Prisma's path does", async () => {
    await api.gqlOk(DASHBOARD_QUERY); // the token is read once (the principal cache)
    // The stopped agents' reactions (presence, readiness) are over: nothing else reads these tables.
    await eventually(
      async () => dashboardStatements(await statementsDuring(() => sleep(500))).length === 0 || null,
      30_000,
      "the API to be idle",
    );
    // Three tries each, the fewest statements counted: a background worker's statement (a sweep, a
    // lease) can fall into a window and only ever adds.
    let fast: Dashboard | undefined;
    let slow: Dashboard | undefined;
    const fastCounts: number[] = [];
    const slowCounts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const fastSql = await statementsDuring(async () => {
        fast = await api.gqlOk<Dashboard>(DASHBOARD_QUERY);
      });
      const slowSql = await statementsDuring(async () => {
        slow = await api.gqlOk<Dashboard>(viaPrisma(DASHBOARD_QUERY));
      });
      fastCounts.push(dashboardStatements(fastSql).length);
      slowCounts.push(dashboardStatements(slowSql).length);
    }
    expect(fast).toEqual(slow);
    expect(fast!.hosts.totalCount).toBe(6);
    for (const { node } of fast!.hosts.edges) {
      expect(node.vms.totalCount).toBe(12);
      expect(node.vms.edges).toHaveLength(10);
      expect(node.readiness.map((c) => c.name)).toContain("cpuVendorPeers");
    }
    expect(Math.min(...fastCounts)).toBe(2);
    // The counter sees Prisma's: settings, networks (twice), firewall rules, adapters, VMs, count, fleet...
    expect(Math.min(...slowCounts)).toBeGreaterThanOrEqual(8);
  });

  it("an incomplete page, a second page and other selections answer as Prisma's path does", async () => {
    const shapes = [
      DASHBOARD_QUERY.replace("hosts(first: 100)", "hosts(first: 4)"),
      `{ hosts(first: 100) { totalCount edges { node { name firewallRules { name displayName enabled protocol localPort }
          networkAdapters { name linkSpeedBps rdmaCapable ipAddresses } migrationSettings { performanceOption networks { subnet } }
          readiness { name status message remedy } vms(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id vmId name state uptimeSeconds switchNames } } } } } } }`,
      `{ hosts(first: 100) { edges { node { name volumes { root } vms(first: 2) { edges { node { name } } } } } } }`,
    ];
    for (const query of shapes) {
      const fast = await api.gqlOk(query);
      expect(viaPrisma(query)).not.toBe(query);
      expect(fast).toEqual(await api.gqlOk(viaPrisma(query)));
    }
  });

  it("identical dashboards share an execution, never one that started before they were sent", async () => {
    const prisma = api.server.app.db.prisma;
    const host = await prisma.host.findFirstOrThrow({ orderBy: { name: "asc" } });
    let stop = false;
    let answered = 0;
    // Eight clients keep the dashboard busy: there is always one executing and others waiting.
    const clients = Array.from({ length: 8 }, async () => {
      while (!stop) {
        await api.gqlOk<Dashboard>(DASHBOARD_QUERY);
        answered++;
      }
    });
    const sql = await statementsDuring(async () => {
      for (let round = 1; round <= 6; round++) {
        // A write committed before the request is sent (an acknowledged mutation's effect).
        const value = 1_000_000n + BigInt(round);
        await prisma.host.update({ where: { id: host.id }, data: { memoryAvailableBytes: value } });
        const seen = await api.gqlOk<Dashboard>(DASHBOARD_QUERY);
        expect(seen.hosts.edges.find((e) => e.node.name === host.name)!.node.memoryAvailableBytes).toBe(
          String(value),
        );
      }
      stop = true;
      await Promise.all(clients);
    });
    // Shared: fewer executions (each reads the hosts page once) than answers.
    const executions = sql.filter((q) => q.includes('FROM "Host" h')).length;
    expect(answered + 6).toBeGreaterThan(executions * 2);
  }, 120_000);
});
