// Malformed and hostile requests get a clean 4xx or a typed GraphQL error, never a stack trace, and
// the server keeps answering. Also: CSRF prevention, body/page/depth/cost limits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ FERRY_MAX_BODY_BYTES: "65536" });
});
afterAll(async () => api?.stop());

interface Raw {
  status: number;
  text: string;
  json: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | null;
}

async function raw(init: {
  method?: string;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  path?: string;
  token?: string | null;
}): Promise<Raw> {
  const token = init.token === undefined ? ADMIN_TOKEN : init.token;
  const response = await fetch(`${api.url}${init.path ?? "/graphql"}`, {
    method: init.method ?? "POST",
    headers: {
      ...(init.method === "GET" ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...init.headers,
    },
    body: init.body as BodyInit | undefined,
  });
  const text = await response.text();
  let json: Raw["json"] = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, text, json };
}

const post = (body: unknown) => raw({ body: typeof body === "string" ? body : JSON.stringify(body) });
const deep = (n: number) =>
  `{ ${"hosts { edges { node { vms { edges { node { host { ".repeat(n)}name${" } } } } } } }".repeat(n)} }`;

/**
 * Every answer is a clean error (4xx, or GraphQL errors each with a code other than
 * INTERNAL_SERVER_ERROR) without internals; `harmless` requests may also get a plain answer.
 */
function expectCleanError(r: Raw, label: string, harmless = false) {
  const problem = `${label}: ${r.status} ${r.text.slice(0, 400)}`;
  expect(r.status, problem).toBeLessThan(500);
  expect(r.text, problem).not.toMatch(/\bat \S+:\d+:\d+|node_modules|PrismaClient|\.ts:\d+|stack/);
  if (r.status >= 400) return;
  const codes = (r.json?.errors ?? []).map((e) => e.extensions?.code);
  if (!harmless) expect(codes.length, problem).toBeGreaterThan(0);
  for (const code of codes) expect(code && code !== "INTERNAL_SERVER_ERROR", problem).toBe(true);
}

/** [label, request, harmless: a plain answer (e.g. "no such host") is as good as an error] */
const corpus: [string, () => Promise<Raw>, boolean?][] = [
  ["broken JSON", () => post('{"query": "{ viewer { name } ')],
  ["JSON that is not an object", () => post("42")],
  ["null body", () => post("null")],
  ["empty body", () => post("")],
  ["invalid UTF-8", () => raw({ body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) })],
  ["query not a string", () => post({ query: { a: 1 } })],
  ["variables not an object", () => post({ query: "{ viewer { name } }", variables: "x" })],
  ["missing query", () => post({ variables: {} })],
  ["syntax error", () => post({ query: "{ viewer { name " })],
  ["unknown field", () => post({ query: "{ nope }" })],
  ["wrong argument type", () => post({ query: '{ hosts(first: "ten") { totalCount } }' })],
  [
    "wrong variable type",
    () => post({ query: "query($n: Int) { hosts(first: $n) { totalCount } }", variables: { n: "x" } }),
  ],
  ["negative page", () => post({ query: "{ hosts(first: -1) { totalCount } }" })],
  ["page too large", () => post({ query: "{ hosts(first: 100000) { totalCount } }" })],
  [
    "page too large via variable",
    () => post({ query: "query($n: Int) { hosts(first: $n) { totalCount } }", variables: { n: 9999 } }),
  ],
  ["Int overflow", () => post({ query: "{ hosts(first: 99999999999999) { totalCount } }" })],
  ["unknown operationName", () => post({ query: "query A { viewer { name } }", operationName: "B" })],
  ["two anonymous operations", () => post({ query: "{ viewer { name } } { viewer { role } }" })],
  ["batched array", () => post([{ query: "{ viewer { name } }" }, { query: "{ viewer { name } }" }])],
  ["deep nesting (depth limit)", () => post({ query: deep(3) })],
  ["deep brackets (token limit)", () => post({ query: `${"{ a ".repeat(3000)}${"}".repeat(3000)}` })],
  ["huge document (token limit)", () => post({ query: `{ ${"viewer { name } ".repeat(4000)} }` })],
  ["huge body (413)", () => post({ query: `{ viewer { name } } # ${"x".repeat(200_000)}` })],
  [
    "costly query",
    () =>
      post({
        query: "{ hosts(first: 500) { edges { node { vms(first: 500) { edges { node { name } } } } } } }",
      }),
  ],
  [
    "fragment bomb",
    () =>
      post({
        query: `{ ...F0 } ${Array.from({ length: 30 }, (_, i) => `fragment F${i} on Query { ${i === 29 ? "viewer { name }" : `...F${i + 1} ...F${i + 1}`} }`).join(" ")}`,
      }),
  ],
  [
    "fragment cycle",
    () => post({ query: "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }" }),
  ],
  [
    "many aliases",
    () =>
      post({
        query: `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: hosts(first: 50) { edges { node { name } } }`).join(" ")} }`,
      }),
  ],
  [
    "hostile string (SQL)",
    () => post({ query: '{ host(name: "x\' OR 1=1; DROP TABLE \\"Host\\"; --") { name } }' }),
    true,
  ],
  [
    "hostile string (NUL byte)",
    () => post({ query: "query($n: String!) { host(name: $n) { name } }", variables: { n: "a\u0000b" } }),
    true,
  ],
  [
    "hostile string (lone surrogate)",
    () => post({ query: "query($n: String!) { host(name: $n) { name } }", variables: { n: "\ud800" } }),
    true,
  ],
  [
    "hostile string (long)",
    () =>
      post({ query: "query($n: String!) { host(name: $n) { name } }", variables: { n: "é".repeat(20_000) } }),
    true,
  ],
  ["hostile id", () => post({ query: '{ node(id: "\\u0000../../etc/passwd") { id } }' }), true],
  ["bad DateTime", () => post({ query: '{ auditLog(filter: {from: "yesterday"}) { totalCount } }' })],
  ["bad BigInt", () => post({ query: "query($v: BigInt) { __typename }", variables: { v: "1e400" } })],
  [
    "hostile mutation input",
    () =>
      post({
        query:
          "mutation($i: CreateAgentEnrollmentInput!) { createAgentEnrollment(input: $i) { token errors { __typename } } }",
        variables: { i: { hostName: "$(Remove-Item C:\\ -Recurse)", expiresInSeconds: 1e12 } },
      }),
  ],
  [
    "GET mutation",
    () =>
      raw({
        method: "GET",
        path: `/graphql?query=${encodeURIComponent('mutation { createAgentEnrollment(input: {hostName: "HV"}) { token } }')}`,
        headers: { "x-ferry-csrf": "1" },
      }),
  ],
  [
    "GET query without CSRF header",
    () => raw({ method: "GET", path: `/graphql?query=${encodeURIComponent("{ viewer { name } }")}` }),
  ],
  [
    "text/plain POST (CSRF)",
    () =>
      raw({
        body: JSON.stringify({ query: "{ viewer { name } }" }),
        headers: { "content-type": "text/plain" },
      }),
  ],
  [
    "form POST (CSRF)",
    () =>
      raw({
        body: "query=%7B+viewer+%7B+name+%7D+%7D",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
  ],
  [
    "multipart POST (CSRF)",
    () => raw({ body: "--b\r\n\r\n--b--", headers: { "content-type": "multipart/form-data; boundary=b" } }),
  ],
  [
    "no content type",
    () => raw({ body: JSON.stringify({ query: "{ viewer { name } }" }), headers: { "content-type": "" } }),
  ],
  ["PUT", () => raw({ method: "PUT", body: JSON.stringify({ query: "{ viewer { name } }" }) })],
  ["DELETE", () => raw({ method: "DELETE" })],
  ["unknown path", () => raw({ method: "GET", path: "/../../etc/passwd" })],
  [
    "malformed bearer",
    () =>
      raw({
        body: JSON.stringify({ query: "{ viewer { name } }" }),
        token: null,
        headers: { authorization: "Bearer a b c \u00ff" },
      }),
  ],
  [
    "very long bearer",
    () => raw({ body: JSON.stringify({ query: "{ viewer { name } }" }), token: "x".repeat(8000) }),
  ],
];

describe("hostile request corpus", () => {
  it.each(corpus)("%s → a clean error, and the server still answers", async (label, send, harmless) => {
    const r = await send();
    expectCleanError(r, label, harmless);
    const health = await api.gqlOk<{ viewer: { name: string } }>("{ viewer { name } }");
    expect(health.viewer.name).toBe("bootstrap-admin");
  });

  it("answers the specific limits with their codes", async () => {
    const codeOf = (r: Raw) => r.json?.errors?.[0]?.extensions?.code;
    expect((await post({ query: deep(3) })).json?.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_DEEP");
    expect(codeOf(await post({ query: "{ hosts(first: 100000) { totalCount } }" }))).toBe("PAGE_TOO_LARGE");
    expect(
      codeOf(
        await post({
          query: "{ hosts(first: 500) { edges { node { vms(first: 500) { edges { node { name } } } } } } }",
        }),
      ),
    ).toBe("QUERY_TOO_COMPLEX");
    const anonymous = await raw({
      token: null,
      body: JSON.stringify({
        query: "{ hosts(first: 500) { edges { node { vms(first: 500) { edges { node { name } } } } } } }",
      }),
    });
    expect(codeOf(anonymous)).toBe("UNAUTHENTICATED");
    const big = await post({ query: `{ viewer { name } } # ${"x".repeat(200_000)}` });
    expect(big.status).toBe(413);
    expect(codeOf(big)).toBe("PAYLOAD_TOO_LARGE");
    const getMutation = await raw({
      method: "GET",
      path: `/graphql?query=${encodeURIComponent('mutation { createAgentEnrollment(input: {hostName: "HV"}) { token } }')}`,
      headers: { "x-ferry-csrf": "1" },
    });
    expect(getMutation.status).toBe(405);
    expect(await api.server.app.db.prisma.agentEnrollment.count()).toBe(0);
    expect((await raw({ body: "{}", headers: { "content-type": "text/plain" } })).status).toBe(415);
    expect(
      (await raw({ method: "GET", path: `/graphql?query=${encodeURIComponent("{ viewer { name } }")}` }))
        .status,
    ).toBe(403);
  });

  it("serves GET queries that carry the CSRF header, and the GraphiQL page", async () => {
    const ok = await raw({
      method: "GET",
      path: `/graphql?query=${encodeURIComponent("{ viewer { name } }")}`,
      headers: { "x-ferry-csrf": "1" },
    });
    expect(ok.status).toBe(200);
    expect(ok.json?.data).toEqual({ viewer: { name: "bootstrap-admin" } });
    const page = await raw({ method: "GET", token: null, headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.text).toContain("GraphiQL");
  });

  it("allows the standard introspection query (GraphiQL needs it)", async () => {
    const { getIntrospectionQuery } = await import("graphql");
    const r = await post({ query: getIntrospectionQuery() });
    expect(r.json?.errors).toBeUndefined();
  });
});
