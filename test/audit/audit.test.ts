// The audit log: entries for allowed, failed and denied calls with redacted inputs; auditLog with
// filters, newest first; a change commits with its entry (or not at all); the entry of a call that
// changed nothing is retried and never fails it.

import { failNextAuditWrites, redact } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { createToken } from "../security/principals.ts";

let api: TestApi;
let viewer: string;
beforeAll(async () => {
  api = await startTestApi();
  viewer = (await createToken(api, "auditor-viewer", "VIEWER")).secret;
});
afterAll(async () => api?.stop());

type Entry = {
  actor: string;
  role: string | null;
  operation: string;
  target: string | null;
  input: unknown;
  outcome: string;
  errorCode: string | null;
  requestId: string | null;
  at: string;
};
const LOG = `query($filter: AuditFilter, $first: Int, $after: String) { auditLog(filter: $filter, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id actor role operation target input outcome errorCode requestId at } } } }`;
const log = (filter: Record<string, unknown> = {}, first = 50, after?: string) =>
  api.gqlOk<{
    auditLog: {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string };
      edges: { node: Entry }[];
    };
  }>(LOG, { filter, first, after });

describe("audit log", () => {
  it("redacts secrets in inputs, at any depth", () => {
    expect(
      redact({ name: "x", token: "s", nested: [{ password: "p", ok: 1 }], Authorization: "Bearer s" }),
    ).toEqual({
      name: "x",
      token: "[redacted]",
      nested: [{ password: "[redacted]", ok: 1 }],
      Authorization: "[redacted]",
    });
  });

  it("records who, role, operation, target, input, outcome, error and request id", async () => {
    const response = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${viewer}`,
        "x-request-id": "req-42",
      },
      body: JSON.stringify({
        query: 'mutation { createAgentEnrollment(input: {hostName: "HV-AUD"}) { token } }',
      }),
    });
    expect(response.status).toBe(403);
    await api.gqlOk(
      'mutation { createAgentEnrollment(input: {hostName: "bad name"}) { errors { message } } }',
    );
    await api.gqlOk('mutation { createAgentEnrollment(input: {hostName: "HV-AUD"}) { token } }');
    const { auditLog } = await log({ operation: "createAgentEnrollment" });
    expect(auditLog.edges.map((e) => e.node.outcome)).toEqual(["SUCCEEDED", "FAILED", "DENIED"]);
    const [ok, failed, denied] = auditLog.edges.map((e) => e.node);
    expect(ok).toMatchObject({
      actor: "token:bootstrap-admin",
      role: "ADMIN",
      target: "HV-AUD",
      input: { hostName: "HV-AUD" },
    });
    expect(failed).toMatchObject({ errorCode: "ValidationError", target: "bad name" });
    expect(denied).toMatchObject({
      actor: "token:auditor-viewer",
      role: "VIEWER",
      errorCode: "FORBIDDEN",
      requestId: "req-42",
      input: { input: { hostName: "HV-AUD" } },
      target: "HV-AUD",
    });
  });

  it("filters by actor, outcome and time range, newest first, with pages", async () => {
    const denied = await log({ actor: "token:auditor-viewer", outcome: "DENIED" });
    expect(denied.auditLog.totalCount).toBe(1);
    const all = await log({}, 2);
    expect(all.auditLog.pageInfo.hasNextPage).toBe(true);
    const next = await log({}, 2, all.auditLog.pageInfo.endCursor);
    const times = [...all.auditLog.edges, ...next.auditLog.edges].map((e) => Date.parse(e.node.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    const future = await log({ from: new Date(Date.now() + 60_000).toISOString() });
    expect(future.auditLog.totalCount).toBe(0);
    const bad = await api.gql(LOG, { filter: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" } });
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("is ADMIN only", async () => {
    const r = await api.gql("{ auditLog { totalCount } }", {}, viewer);
    expect(r.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("the entry of a call that changed nothing never fails it: a failing write is retried later", async () => {
    const created = await api.gqlOk<{ createApiToken: { apiToken: { id: string } } }>(
      'mutation { createApiToken(input: {name: "outbox", role: VIEWER}) { apiToken { id } errors { message } } }',
    );
    const id = created.createApiToken.apiToken.id;
    await api.gqlOk("mutation($id: ID!) { revokeApiToken(id: $id) { errors { message } } }", { id });
    failNextAuditWrites(4); // more than the quick retries: the entry goes to the outbox
    const again = await api.gqlOk<{ revokeApiToken: { errors: { __typename: string }[] | null } }>(
      "mutation($id: ID!) { revokeApiToken(id: $id) { errors { __typename } } }",
      { id },
    );
    expect(again.revokeApiToken.errors?.[0]?.__typename).toBe("ConflictError");
    const entry = await eventually(
      () =>
        api.server.app.db.prisma.auditEntry.findFirst({
          where: { operation: "revokeApiToken", outcome: "FAILED" },
        }),
      10_000,
      "the queued audit entry",
    );
    expect(entry.errorCode).toBe("ConflictError");
    expect(await api.server.app.db.prisma.auditEntry.count({ where: { operation: "revokeApiToken" } })).toBe(
      2,
    );
  });

  // Issue 12 item 6: the entry is written in the transaction of the change it records.
  it("a token and its audit entry commit together: without its entry the token is not created", async () => {
    failNextAuditWrites(1);
    const refused = await api.gql(
      'mutation { createApiToken(input: {name: "atomic", role: VIEWER}) { secret errors { message } } }',
    );
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      reason: "AUDIT_WRITE_FAILED",
    });
    const prisma = api.server.app.db.prisma;
    expect(await prisma.apiToken.count({ where: { name: "atomic" } })).toBe(0);
    const entries = await prisma.auditEntry.findMany({ where: { target: "atomic" } });
    expect(entries.map((e) => e.outcome)).toEqual(["FAILED"]);

    await api.gqlOk('mutation { createApiToken(input: {name: "atomic", role: VIEWER}) { secret } }');
    await api.gqlOk('mutation { createAgentEnrollment(input: {hostName: "HV-ATOMIC"}) { token } }');
    expect(await prisma.apiToken.count({ where: { name: "atomic" } })).toBe(1);
    // One entry per call: the one committed with the change, not a second one after it.
    const after = await prisma.auditEntry.findMany({ where: { target: { in: ["atomic", "HV-ATOMIC"] } } });
    expect(after.map((e) => `${e.operation}:${e.outcome}`).sort()).toEqual([
      "createAgentEnrollment:SUCCEEDED",
      "createApiToken:FAILED",
      "createApiToken:SUCCEEDED",
    ]);
  });

  it("an enrollment whose audit entry cannot be written is not created either", async () => {
    failNextAuditWrites(1);
    const refused = await api.gql(
      'mutation { createAgentEnrollment(input: {hostName: "HV-NOAUDIT"}) { token } }',
    );
    expect(refused.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(await api.server.app.db.prisma.agentEnrollment.count({ where: { hostName: "HV-NOAUDIT" } })).toBe(
      0,
    );
  });
});
