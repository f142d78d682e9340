// `vms` pages (issue 16): a forward page of the VM's own columns is one SQL statement (vms/page.ts), sent by
// `pg` on Prisma's pool without Prisma's raw-query pipeline; selecting a relation takes Prisma's path. Both
// must give the same VMs, values and page info, with names that repeat (the id breaks ties), a cursor of a
// VM that is gone, and the last page.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { edgeCaseVmRows } from "../helpers/vm-rows.ts";

let api: TestApi;
const COLUMNS = `id vmId name state status cpuUsage memoryAssignedBytes memoryStartupBytes uptimeSeconds
  generation configurationVersion processorCompatibilityForMigration isClustered path switchNames updatedAt`;
// host { name } makes Pothos include the relation: Prisma's path.
const page = (relation: boolean) => `query($first: Int!, $after: String) { vms(first: $first, after: $after) {
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { ${COLUMNS} ${relation ? "host { name }" : ""} } } } }`;

type Page = {
  vms: {
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
    edges: { cursor: string; node: Record<string, unknown> & { id: string; host?: unknown } }[];
  };
};

beforeAll(async () => {
  api = await startTestApi();
  const prisma = api.server.app.db.prisma;
  const host = await prisma.host.create({
    data: { name: "HV-PAGES", delegations: [], migrationSettings: { create: {} } },
  });
  await prisma.virtualMachine.createMany({
    // Five names repeat: pages must order them by id.
    data: edgeCaseVmRows(host.id, 23),
  });
});
afterAll(async () => api?.stop());

const PAGE_SQL = 'SELECT * FROM "VirtualMachine"';

/**
 * `run`'s result, the SQL the API sent meanwhile (every query goes through `pg`) and the row mode each
 * statement asked for (Prisma's adapter asks for rows as arrays).
 */
async function statementsDuring<T>(
  run: () => Promise<T>,
): Promise<{ result: T; sql: string[]; rowModes: (string | undefined)[] }> {
  const sql: string[] = [];
  const rowModes: (string | undefined)[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; rowMode?: string };
    sql.push(typeof first === "string" ? first : (first?.text ?? ""));
    rowModes.push(typeof first === "string" ? undefined : first?.rowMode);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    return { result: await run(), sql, rowModes };
  } finally {
    pg.Client.prototype.query = original;
  }
}

async function walk(relation: boolean, first: number, start: string | null = null) {
  const pages: Page["vms"][] = [];
  let after = start;
  for (let i = 0; i < 30; i++) {
    const data = await api.gqlOk<Page>(page(relation), { first, after });
    pages.push(data.vms);
    if (!data.vms.pageInfo.hasNextPage) break;
    after = data.vms.pageInfo.endCursor;
  }
  return pages.map((p) => ({
    ...p,
    edges: p.edges.map(({ cursor, node: { host: _host, ...node } }) => ({ cursor, node })),
  }));
}

describe("vms pages", () => {
  it("the SQL page and Prisma's path give the same VMs, values and page info", async () => {
    for (const first of [1, 4, 23, 500]) {
      const fastSql = await statementsDuring(() => walk(false, first));
      const prismaSql = await statementsDuring(() => walk(true, first));
      expect(fastSql.result).toEqual(prismaSql.result);
      // The scalar walk used the one-statement page, the walk with a relation did not.
      expect(fastSql.sql.some((q) => q.includes(PAGE_SQL))).toBe(true);
      expect(prismaSql.sql.some((q) => q.includes(PAGE_SQL))).toBe(false);
      // ... sent by pg itself (rows as objects), not through Prisma's adapter (rows as arrays).
      const pageModes = fastSql.rowModes.filter((_, i) => fastSql.sql[i]!.includes(PAGE_SQL));
      expect(pageModes.length).toBeGreaterThan(0);
      expect(pageModes.every((mode) => mode === undefined)).toBe(true);
      const fast = fastSql.result;
      const nodes = fast.flatMap((p) => p.edges.map((e) => e.node));
      expect(nodes).toHaveLength(23);
      expect(new Set(nodes.map((n) => n.id)).size).toBe(23);
    }
    const all = (await walk(false, 500))[0]!.edges.map((e) => e.node);
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    const ties = all.filter((n) => n.name === "same name").map((n) => decodeGlobalID(n.id).id);
    expect(ties).toHaveLength(6);
    expect(ties).toEqual([...ties].sort());
    expect(all.find((n) => n.isClustered)).toMatchObject({
      memoryAssignedBytes: String(7n * 2n ** 33n),
      memoryStartupBytes: String(2n ** 62n + 7n),
      status: "Operating normally",
    });
  });

  it("a cursor of a VM that is gone answers as before (Prisma's path)", async () => {
    const first = await api.gqlOk<Page>(page(false), { first: 3, after: null });
    const cursor = first.vms.pageInfo.endCursor;
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    const gone = first.vms.edges[2]!.node.id;
    const before = await api.gql<Page>(page(true), { first: 3, after: cursor });
    await api.server.app.db.prisma.virtualMachine.delete({ where: { id: decodeGlobalID(gone).id } });
    const fast = await api.gql<Page>(page(false), { first: 3, after: cursor });
    const slow = await api.gql<Page>(page(true), { first: 3, after: cursor });
    expect(before.errors).toBeUndefined();
    expect(fast.errors ?? null).toEqual(slow.errors ?? null);
    const strip = (p: Page | null) =>
      p?.vms.edges.map(({ cursor: c, node: { host: _h, ...node } }) => ({ c, node })) ?? null;
    expect(strip(fast.data)).toEqual(strip(slow.data));
  });
});
