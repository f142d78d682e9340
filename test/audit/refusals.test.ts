// Issue 10 item 4: expected refusals (UNAUTHENTICATED, FORBIDDEN) are logged as such, without stack
// traces. Issue 12 item 9: client mistakes are typed errors, never masked internal errors: node(id:)
// of a missing object is null, nodes(ids:) has null in its place, ids of unknown type and dates out
// of range are BAD_USER_INPUT, GET with malformed variables is a 400, and an export with a date
// outside the database's range is refused before any header is sent.
import { Writable } from "node:stream";
import { type ApiServer, loadConfig, startApiServer } from "@ferry/api/server";
import { encodeGlobalID } from "@pothos/plugin-relay";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, gql } from "../helpers/api.ts";
import { freshDatabase, type TestDatabaseEnv } from "../helpers/database.ts";

type Line = { level: number; msg: string; code?: string; err?: { stack?: string } };
const lines: Line[] = [];
let server: ApiServer;
let database: TestDatabaseEnv;
let viewer: string;

beforeAll(async () => {
  database = await freshDatabase();
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const text of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    ...database.env,
  });
  server = await startApiServer(config, { logger: pino({ level: "info" }, sink) });
  viewer = (await createToken("refusal-viewer")).secret;
});
afterAll(async () => {
  await server?.stop();
  await database?.drop();
});

const call = <T = Record<string, unknown>>(
  query: string,
  variables = {},
  token: string | null = ADMIN_TOKEN,
) => gql<T>(server.url, query, variables, token);
async function ok<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const r = await call<T>(query, variables);
  if (r.errors?.length) throw new Error(JSON.stringify(r.errors));
  return r.data;
}
const createToken = async (name: string) =>
  (
    await ok<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
      `mutation($name: String!) { createApiToken(input: {name: $name, role: VIEWER}) { secret apiToken { id } } }`,
      { name },
    )
  ).createApiToken;
const errorLines = () => lines.filter((l) => l.level >= 50);
const MISSING = "00000000-0000-4000-8000-000000000000";

describe("refusals in the log", () => {
  it("UNAUTHENTICATED and FORBIDDEN are info lines with their code, without stack traces", async () => {
    const before = lines.length;
    const anonymous = await call(
      'mutation { createApiToken(input: {name: "x", role: VIEWER}) { secret } }',
      {},
      null,
    );
    expect(anonymous.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const forbidden = await call(
      'mutation { createApiToken(input: {name: "x", role: VIEWER}) { secret } }',
      {},
      viewer,
    );
    expect(forbidden.status).toBe(403);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const written = lines.slice(before);
    expect(written.filter((l) => l.level >= 50)).toEqual([]);
    expect(written.some((l) => JSON.stringify(l).includes("stack"))).toBe(false);
    const refused = written.filter((l) => l.msg === "request refused");
    expect(refused.map((l) => l.code).sort()).toEqual(["FORBIDDEN", "UNAUTHENTICATED"]);
    expect(refused.every((l) => l.level === 30)).toBe(true);
  });
});

describe("client mistakes are typed errors", () => {
  it("node(id:) of a missing object is null; nodes(ids:) has null in its place", async () => {
    const before = errorLines().length;
    const missing = encodeGlobalID("Host", MISSING);
    const one = await call<{ node: null }>(`query($id: ID!) { node(id: $id) { id } }`, { id: missing });
    expect(one.errors).toBeUndefined();
    expect(one.data.node).toBeNull();
    const token = (await createToken("node-probe")).apiToken.id;
    const many = await call<{ nodes: ({ id: string } | null)[] }>(
      `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
      { ids: [token, missing, encodeGlobalID("Migration", MISSING), encodeGlobalID("HostEvent", "123456")] },
    );
    expect(many.errors).toBeUndefined();
    expect(many.data.nodes).toEqual([{ id: token }, null, null, null]);
    expect(errorLines().length).toBe(before);
  });

  it("ids of unknown type or malformed ids are BAD_USER_INPUT", async () => {
    for (const id of [encodeGlobalID("Nope", MISSING), encodeGlobalID("Host", "not-a-uuid"), "garbage"]) {
      const r = await call(`query($id: ID!) { node(id: $id) { id } }`, { id });
      expect(r.errors?.[0]?.extensions?.code, id).toBe("BAD_USER_INPUT");
      const rs = await call(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [id] });
      expect(rs.errors?.[0]?.extensions?.code, id).toBe("BAD_USER_INPUT");
    }
    const hostEvent = await call(`query($id: ID!) { node(id: $id) { id } }`, {
      id: encodeGlobalID("HostEvent", MISSING),
    });
    expect(hostEvent.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("dates outside what the database stores are BAD_USER_INPUT, as variables and as literals", async () => {
    for (const from of [
      "+275760-09-13T00:00:00.000Z",
      "-000100-01-01T00:00:00.000Z",
      "+010000-01-01T00:00:00Z",
    ]) {
      const r = await call(`query($f: DateTime) { auditLog(filter: {from: $f}) { totalCount } }`, {
        f: from,
      });
      expect(r.errors?.[0]?.extensions?.code, from).toBe("BAD_USER_INPUT");
      const literal = await call(`{ auditLog(filter: {from: "${from}"}) { totalCount } }`);
      // A literal is checked while the document is validated.
      expect(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"], from).toContain(
        literal.errors?.[0]?.extensions?.code,
      );
      expect(literal.errors?.[0]?.message).toContain("between 0001-01-01 and 9999-12-31");
    }
    const edge = await call<{ auditLog: { totalCount: number } }>(
      `{ auditLog(filter: {from: "0001-01-01T00:00:00Z", to: "9999-12-31T23:59:59Z"}) { totalCount } }`,
    );
    expect(edge.errors).toBeUndefined();
  });

  it("GET with malformed variables is a 400 with a GraphQL error", async () => {
    const query = encodeURIComponent("query($n: Int) { hosts(first: $n) { totalCount } }");
    for (const variables of ["%7Bbad", "%5B1%5D", "42"]) {
      const r = await fetch(`${server.url}/graphql?query=${query}&variables=${variables}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-ferry-csrf": "1", accept: "application/json" },
      });
      expect(r.status, variables).toBe(400);
      const body = (await r.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe("BAD_REQUEST");
    }
    const good = await fetch(
      `${server.url}/graphql?query=${query}&variables=${encodeURIComponent('{"n":1}')}`,
      {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-ferry-csrf": "1", accept: "application/json" },
      },
    );
    expect(good.status).toBe(200);
  });

  it("an export with a date outside the database's range is a 400 before any header", async () => {
    for (const from of ["-000100-01-01T00:00:00Z", "+275760-09-13T00:00:00Z", "10000-01-01"]) {
      const r = await fetch(`${server.url}/export/audit.csv?from=${encodeURIComponent(from)}`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(r.status, from).toBe(400);
      const body = (await r.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]?.extensions.code).toBe("BAD_USER_INPUT");
    }
    const fine = await fetch(`${server.url}/export/audit.jsonl?from=0001-01-01&to=9999-12-31`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(fine.status).toBe(200);
    await fine.text();
  });

  it("none of these mistakes was logged as an error", () => {
    expect(errorLines()).toEqual([]);
  });
});
