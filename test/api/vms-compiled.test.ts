// `vms` pages by a compiled query (issue 16; services/api/src/modules/vms/compiled.ts) must answer byte for
// byte what the standard executor answers: two yoga engines on the same App, one with the compiled path and
// one without, get the same requests (aliases, __typename, fragments, nulls, BigInt strings, nested
// relations, bad cursors and variables, limits, roles that may not read VMs, no token) and must return the
// same status and body text. The compiled engine must have executed every eligible query itself.
import { type App, createGraphQL } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { edgeCaseVmRows } from "../helpers/vm-rows.ts";

let api: TestApi;
let compiled: ReturnType<typeof createGraphQL>;
let standard: ReturnType<typeof createGraphQL>;
let compiledRuns = 0;

beforeAll(async () => {
  api = await startTestApi();
  const app = api.server.app as App;
  compiled = createGraphQL(app, { onCompiledExecution: () => compiledRuns++ });
  standard = createGraphQL(app, { compiledPages: false });
  const prisma = app.db.prisma;
  const host = await prisma.host.create({
    data: { name: "HV-JIT", delegations: [], migrationSettings: { create: {} } },
  });
  await prisma.virtualMachine.createMany({
    data: edgeCaseVmRows(host.id, 12, " \\ ✓"),
  });
  const vms = await prisma.virtualMachine.findMany({ orderBy: { name: "asc" }, take: 2 });
  for (const [i, vm] of vms.entries()) {
    await prisma.hardDrive.createMany({
      data: [
        { vmRowId: vm.id, path: `C:\\VMs\\${i}\\disk0.vhdx`, sizeBytes: 2n ** 40n + BigInt(i), position: 0 },
        { vmRowId: vm.id, path: `C:\\VMs\\${i}\\disk1.vhdx`, sizeBytes: 5n, position: 1 },
      ],
    });
  }
});
afterAll(async () => api?.stop());

type Principal = Parameters<typeof compiled.fetch>[2];

/** The same request to both engines: status, content type and body text. */
async function both(query: string, variables: Record<string, unknown> = {}, auth: Auth = {}) {
  const send = async (engine: typeof compiled) => {
    const headers: Record<string, string> = { "content-type": "application/json", "x-request-id": "same-id" };
    if (auth.token !== null) headers.authorization = `Bearer ${auth.token ?? ADMIN_TOKEN}`;
    const response = await engine.fetch(
      "http://localhost/graphql",
      { method: "POST", headers, body: JSON.stringify({ query, variables }) },
      (auth.principal !== undefined ? { principal: auth.principal, requestId: "same-id" } : {}) as Principal,
    );
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: await response.text(),
    };
  };
  return { compiled: await send(compiled), standard: await send(standard) };
}

interface Auth {
  /** A bearer token (default: the admin's); null sends none. */
  token?: string | null;
  /** The principal the WebSocket server would pass (skips the token). */
  principal?: unknown;
}

const COLUMNS = `id vmId name state status cpuUsage memoryAssignedBytes memoryStartupBytes uptimeSeconds
  generation configurationVersion processorCompatibilityForMigration isClustered path switchNames updatedAt`;

/**
 * [name, query, variables, auth, whether the compiled query's answer is used]. Answers with errors are
 * the standard executor's (compiled.ts); unauthenticated requests reach no executor.
 */
const CASES: [string, string, Record<string, unknown>, Auth, boolean][] = [
  [
    "a page of every column, the benchmark's shape",
    `query Page($after: String) { vms(first: 5, after: $after) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { ${COLUMNS} } } } }`,
    {},
    {},
    true,
  ],
  [
    "aliases and __typename at every level",
    `{ list: vms(first: 3) { __typename info: pageInfo { __typename more: hasNextPage end: endCursor }
        edges { __typename c: cursor vm: node { __typename key: id n: name n2: name bytes: memoryStartupBytes } } } }`,
    {},
    {},
    true,
  ],
  [
    "fragments, inline fragments on the interface and the type, a field asked twice",
    `fragment Vm on VirtualMachine { name status switchNames }
     fragment Page on VirtualMachineConnection { pageInfo { startCursor } }
     query Frag { vms(first: 4) { ...Page edges { node { ...Vm ... on Node { id } ... on VirtualMachine {
       name isClustered updatedAt } } } } }`,
    {},
    {},
    true,
  ],
  [
    "nested relations and totalCount keep the standard executor",
    `{ vms(first: 4) { totalCount edges { node { name host { __typename name } hardDrives { path sizeBytes }
       migrations(first: 2) { totalCount edges { node { id } } } } } } }`,
    {},
    {},
    false,
  ],
  [
    "two vms root fields keep the standard executor",
    `{ a: vms(first: 2) { edges { node { name } } } b: vms(first: 1) { edges { node { id } } } }`,
    {},
    {},
    false,
  ],
  [
    "a filter and a second page by cursor (Prisma's path and the SQL page)",
    `query($f: VmFilter, $after: String) { vms(first: 3, after: $after, filter: $f) {
       pageInfo { endCursor } edges { node { name state } } } }`,
    { f: { state: "RUNNING", nameContains: "QUOTED" } },
    {},
    true,
  ],
  [
    "a cursor that is not one",
    `{ vms(first: 3, after: "not-a-cursor") { edges { node { name } } } }`,
    {},
    {},
    false,
  ],
  [
    "a well-formed cursor of a VM that does not exist",
    `query($after: String) { vms(first: 3, after: $after) { edges { node { name } } } }`,
    { after: Buffer.from("GPC:S:7d3d4b42-0000-4000-8000-000000000000").toString("base64") },
    {},
    true,
  ],
  [
    "a variable of the wrong type (the standard executor answers it)",
    `query($n: Int) { vms(first: $n) { edges { node { name } } } }`,
    { n: "five" },
    {},
    false,
  ],
  ["a page over the limit", `{ vms(first: 501) { edges { node { name } } } }`, {}, {}, false],
  ["a negative page size", `{ vms(first: -1) { edges { node { name } } } }`, {}, {}, false],
  [
    "an agent may not read VMs",
    `{ vms(first: 2) { edges { node { name } } } }`,
    {},
    { principal: { kind: "agent", credentialId: "c", hostId: "h", hostName: "HV-JIT" } },
    false,
  ],
  [
    "an enrollment secret may not either",
    `{ vms(first: 2) { edges { node { name } } } }`,
    {},
    { principal: { kind: "enrollment", enrollmentId: "e", hostName: "HV-JIT" } },
    false,
  ],
  [
    "a viewer may",
    `{ vms(first: 2) { edges { node { name } } } }`,
    {},
    { principal: { kind: "user", tokenId: "t", name: "viewer", role: "VIEWER" } },
    true,
  ],
  ["no token", `{ vms(first: 2) { edges { node { name } } } }`, {}, { token: null }, false],
  ["a wrong token", `{ vms(first: 2) { edges { node { name } } } }`, {}, { token: "fy_wrong" }, false],
  [
    "@include keeps the standard executor",
    `query($x: Boolean!) { vms(first: 2) { edges { node { name status @include(if: $x) } } } }`,
    { x: false },
    {},
    false,
  ],
  [
    "another root field beside vms keeps the standard executor",
    `{ vms(first: 1) { edges { node { name } } } hosts(first: 1) { edges { node { name } } } }`,
    {},
    {},
    false,
  ],
];

/** Cases the standard executor answers with sibling fields in the order their async resolvers complete. */
const ASYNC_SIBLINGS = new Set([
  "nested relations and totalCount keep the standard executor",
  "two vms root fields keep the standard executor",
  "another root field beside vms keeps the standard executor",
]);

describe("vms pages: the compiled query answers as the standard executor", () => {
  for (const [name, query, variables, auth, runsCompiled] of CASES) {
    it(name, async () => {
      const before = compiledRuns;
      const answers = await both(query, variables, auth);
      expect(compiledRuns - before, "answers by the compiled query").toBe(runsCompiled ? 1 : 0);
      if (!ASYNC_SIBLINGS.has(name)) {
        expect(answers.compiled).toEqual(answers.standard);
      } else {
        // Both answered by the standard executor, which orders sibling fields whose resolvers are async
        // (two root fields, relations) as they complete, so two runs may differ: compare the values.
        const { body: a, ...rest } = answers.compiled;
        const { body: b, ...restStandard } = answers.standard;
        expect(rest).toEqual(restStandard);
        expect(JSON.parse(a)).toEqual(JSON.parse(b));
      }
    });
  }

  it("pages through every VM the same way, cursor by cursor", async () => {
    const query = `query($after: String) { vms(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor } edges { cursor node { ${COLUMNS} } } } }`;
    let after: string | null = null;
    let pages = 0;
    for (; pages < 10; pages++) {
      const before = compiledRuns;
      const answers = await both(query, { after });
      expect(answers.compiled).toEqual(answers.standard);
      expect(compiledRuns - before).toBe(1);
      const body = JSON.parse(answers.compiled.body) as {
        data: { vms: { pageInfo: { hasNextPage: boolean; endCursor: string } } };
      };
      if (!body.data.vms.pageInfo.hasNextPage) break;
      after = body.data.vms.pageInfo.endCursor;
    }
    expect(pages).toBe(2);
  });

  it("answers what the data says: BigInt strings, nulls, the cursor error's code", async () => {
    const { compiled: answer } = await both(
      `{ vms(first: 12) { edges { node { vmId name status memoryStartupBytes switchNames } } } }`,
    );
    const body = JSON.parse(answer.body) as { data: { vms: { edges: { node: Record<string, unknown> }[] } } };
    const first = body.data.vms.edges.find((e) => e.node.vmId === "00000000-0000-4000-8000-000000000000");
    expect(first?.node).toEqual({
      vmId: "00000000-0000-4000-8000-000000000000",
      name: "same name",
      status: null,
      memoryStartupBytes: String(2n ** 62n),
      switchNames: [],
    });
    const bad = await both(`{ vms(first: 3, after: "not-a-cursor") { edges { node { name } } } }`);
    const errors = (JSON.parse(bad.compiled.body) as { errors: { path?: string[] }[] }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toEqual(["vms"]);
  });
});
