// API tokens: created by ADMIN with a role and an optional expiry, secret shown once and stored only
// as a hash, listed without secrets, revoked at once (HTTP and open WebSockets alike).
import { hashSecret } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { statementsDuring } from "../helpers/sql.ts";
import { collect } from "../helpers/ws.ts";
import { createToken, enrolledAgent } from "../security/principals.ts";
import { httpOnce, wsConnect, wsOnce } from "../security/transport.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const CREATE = `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) {
  secret apiToken { id name role createdBy expiresAt revokedAt lastUsedAt active }
  errors { __typename message ... on ValidationError { field } } } }`;

describe("API tokens", () => {
  it("creates a token whose secret is shown once and stored only as a hash", async () => {
    const data = await api.gqlOk<{
      createApiToken: {
        secret: string;
        apiToken: { id: string; name: string; role: string; createdBy: string; active: boolean };
      };
    }>(CREATE, { input: { name: "ci-pipeline", role: "OPERATOR", expiresInSeconds: 3600 } });
    const { secret, apiToken } = data.createApiToken;
    expect(secret).toMatch(/^fy_[\w-]{40,}$/);
    expect(apiToken).toMatchObject({
      name: "ci-pipeline",
      role: "OPERATOR",
      createdBy: "token:bootstrap-admin",
      active: true,
    });
    const row = await api.server.app.db.prisma.apiToken.findFirstOrThrow({ where: { name: "ci-pipeline" } });
    expect(row.secretHash).toBe(hashSecret(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    const audit = await api.server.app.db.prisma.auditEntry.findFirstOrThrow({
      where: { operation: "createApiToken" },
    });
    expect(JSON.stringify(audit.input)).not.toContain(secret);
    const me = await api.gqlOk<{ viewer: { name: string; role: string } }>(
      "{ viewer { name role } }",
      {},
      secret,
    );
    expect(me.viewer).toEqual({ name: "ci-pipeline", role: "OPERATOR" });
  });

  it("lists tokens without secrets, with last use", async () => {
    const { secret } = await createToken(api, "dashboard", "VIEWER");
    await api.gqlOk("{ viewer { name } }", {}, secret);
    const data = await api.gqlOk<{
      apiTokens: {
        totalCount: number;
        edges: { node: { name: string; role: string; lastUsedAt: string | null } }[];
      };
    }>(
      "{ apiTokens(first: 50, filter: {active: true}) { totalCount edges { node { name role lastUsedAt } } } }",
    );
    const dashboard = data.apiTokens.edges.find((e) => e.node.name === "dashboard")!.node;
    expect(dashboard.role).toBe("VIEWER");
    expect(dashboard.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(data)).not.toContain(secret);
    const tokenType = await api.gqlOk<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "ApiToken") { fields { name } } }',
    );
    expect(tokenType.__type.fields.map((f) => f.name)).not.toContain("secret");
    expect(tokenType.__type.fields.map((f) => f.name)).not.toContain("secretHash");
  });

  it("refuses AGENT tokens, bad names and expiries in the past with typed errors", async () => {
    const agent = await api.gql(CREATE, { input: { name: "x", role: "AGENT" } });
    expect(agent.errors?.[0]?.message).toMatch(/AGENT/);
    const bad = await api.gqlOk<{
      createApiToken: { secret: null; errors: { __typename: string; field: string }[] };
    }>(CREATE, {
      input: { name: "bad name!", role: "VIEWER" },
    });
    expect(bad.createApiToken).toEqual({
      secret: null,
      apiToken: null,
      errors: [expect.objectContaining({ __typename: "ValidationError", field: "input.name" })],
    });
    const past = await api.gqlOk<{ createApiToken: { errors: { field: string }[] } }>(CREATE, {
      input: { name: "old", role: "VIEWER", expiresAt: "2020-01-01T00:00:00Z" },
    });
    expect(past.createApiToken.errors[0]!.field).toBe("input.expiresAt");
  });

  it("an expired token is UNAUTHENTICATED", async () => {
    const { secret, apiToken } = await createToken(api, "short", "VIEWER");
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    await api.server.app.db.prisma.apiToken.update({
      where: { id: decodeGlobalID(apiToken.id).id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const r = await api.gql("{ viewer { name } }", {}, secret);
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("revoking a token refuses it at once and closes its WebSockets with 4403", async () => {
    const { secret, apiToken } = await createToken(api, "to-revoke", "VIEWER");
    const client = wsConnect(api.url, secret);
    const feed = collect(client, "subscription { hostChanged { name } }");
    // The connection is up once a query over it answers.
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({ viewer: { name: "to-revoke" } });
    const closed = new Promise<number>((resolve) =>
      client.on("closed", (e) => resolve((e as { code: number }).code)),
    );
    const revoked = await api.gqlOk<{ revokeApiToken: { apiToken: { revokedAt: string; active: boolean } } }>(
      "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { revokedAt active } errors { message } } }",
      { id: apiToken.id },
    );
    expect(revoked.revokeApiToken.apiToken.active).toBe(false);
    expect(await closed).toBe(4403);
    feed.stop();
    await client.dispose();
    const r = await api.gql("{ viewer { name } }", {}, secret);
    expect(r.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const again = await api.gqlOk<{ revokeApiToken: { errors: { __typename: string }[] } }>(
      "mutation($id: ID!) { revokeApiToken(id: $id) { errors { __typename } } }",
      { id: apiToken.id },
    );
    expect(again.revokeApiToken.errors[0]!.__typename).toBe("ConflictError");
  });

  it("a token revoked on another replica loses its socket before its next operation is answered", async () => {
    const { secret, apiToken } = await createToken(api, "revoked-elsewhere", "VIEWER");
    const client = wsConnect(api.url, secret);
    const feed = collect(client, "subscription { hostChanged { name } }");
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({
      viewer: { name: "revoked-elsewhere" },
    });
    const closed = new Promise<number>((resolve) =>
      client.on("closed", (e) => resolve((e as { code: number }).code)),
    );
    // What another replica does: commit the revocation, then publish it (Redis carries it across
    // replicas; test/scale/replicas.test.ts runs that with two processes).
    const tokenId = await revokeInDatabase(apiToken.id);
    api.server.app.pubsub.publish("principalRevoked", { key: `token:${tokenId}`, reason: "token revoked" });
    const answer = await wsOnce(client, "{ viewer { name } }");
    expect(answer.data ?? null).toBeNull();
    expect(await closed).toBe(4403);
    feed.stop();
    await client.dispose();
  });

  it("a token revoked in the database only (no message) loses its socket within seconds (periodic check)", async () => {
    const { secret, apiToken } = await createToken(api, "revoked-idle", "VIEWER");
    const client = wsConnect(api.url, secret);
    const feed = collect(client, "subscription { hostChanged { name } }");
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({ viewer: { name: "revoked-idle" } });
    const closed = new Promise<number>((resolve) =>
      client.on("closed", (e) => resolve((e as { code: number }).code)),
    );
    await revokeInDatabase(apiToken.id);
    expect(await closed).toBe(4403);
    feed.stop();
    await client.dispose();
  }, 20_000);
});

describe("a WebSocket's principal is cached for the socket's life", () => {
  /** Authentication looks a secret up by its hash (modules/auth/service.ts). */
  const secretLookups = (sql: string[], table: string) =>
    sql.filter((q) => q.includes(`"${table}"`) && q.includes('"secretHash"'));

  it("operations over a user token's socket read no token row; HTTP requests do (the counter sees them)", async () => {
    const { secret } = await createToken(api, "cached-user", "VIEWER");
    const client = wsConnect(api.url, secret);
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({ viewer: { name: "cached-user" } });
    const overSocket = await statementsDuring(async () => {
      for (let i = 0; i < 20; i++) {
        expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({
          viewer: { name: "cached-user" },
        });
      }
    });
    expect(secretLookups(overSocket, "ApiToken")).toEqual([]);
    const overHttp = await statementsDuring(async () => {
      expect((await httpOnce(api.url, "{ viewer { name } }", secret)).data).toEqual({
        viewer: { name: "cached-user" },
      });
    });
    expect(secretLookups(overHttp, "ApiToken").length).toBeGreaterThan(0);
    await client.dispose();
  });

  it("HTTP requests reuse the principal of a secret seen seconds ago; a revocation, here or published by another replica, ends that at once", async () => {
    const { secret, apiToken } = await createToken(api, "cached-http", "VIEWER");
    const viewer = async (token: string) => (await httpOnce(api.url, "{ viewer { name } }", token)).data;
    expect(await viewer(secret)).toEqual({ viewer: { name: "cached-http" } });
    const again = await statementsDuring(async () => {
      for (let i = 0; i < 10; i++) expect(await viewer(secret)).toEqual({ viewer: { name: "cached-http" } });
    });
    expect(secretLookups(again, "ApiToken")).toEqual([]);
    // Revoked through the API: refused at the next request.
    await api.gqlOk("mutation($id: ID!) { revokeApiToken(id: $id) { errors { message } } }", {
      id: apiToken.id,
    });
    const refused = await httpOnce(api.url, "{ viewer { name } }", secret);
    expect(refused.status).toBe(401);
    // Revoked by another replica (the database, then the principalRevoked message): refused at once too.
    const other = await createToken(api, "cached-http-elsewhere", "VIEWER");
    expect(await viewer(other.secret)).toEqual({ viewer: { name: "cached-http-elsewhere" } });
    const tokenId = await revokeInDatabase(other.apiToken.id);
    api.server.app.pubsub.publish("principalRevoked", { key: `token:${tokenId}`, reason: "token revoked" });
    expect((await httpOnce(api.url, "{ viewer { name } }", other.secret)).status).toBe(401);
    // An agent credential over HTTP: cached the same way.
    const { credential } = await enrolledAgent(api, "HV-CACHED-HTTP");
    expect(await viewer(credential)).toEqual({ viewer: { name: "agent:HV-CACHED-HTTP" } });
    const agentAgain = await statementsDuring(async () => {
      for (let i = 0; i < 5; i++) await viewer(credential);
    });
    expect(secretLookups(agentAgain, "AgentCredential")).toEqual([]);
  });

  it("operations over an agent's socket read no credential row", async () => {
    const { credential } = await enrolledAgent(api, "HV-CACHED");
    const client = wsConnect(api.url, credential);
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({
      viewer: { name: "agent:HV-CACHED" },
    });
    const overSocket = await statementsDuring(async () => {
      for (let i = 0; i < 20; i++) await wsOnce(client, "{ viewer { name } }");
    });
    expect(secretLookups(overSocket, "AgentCredential")).toEqual([]);
    await client.dispose();
  });

  it("a token that expires while its socket is open is refused at its next operation and the socket closes", async () => {
    const { secret, apiToken } = await createToken(api, "expiring", "VIEWER");
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    const expiresAt = new Date(Date.now() + 5000);
    await api.server.app.db.prisma.apiToken.update({
      where: { id: decodeGlobalID(apiToken.id).id },
      data: { expiresAt },
    });
    const client = wsConnect(api.url, secret);
    const closed = new Promise<number>((resolve) =>
      client.on("closed", (e) => resolve((e as { code: number }).code)),
    );
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({ viewer: { name: "expiring" } });
    await eventually(async () => Date.now() > expiresAt.getTime() + 10, 20_000, "token expired");
    const after = await wsOnce(client, "{ viewer { name } }");
    expect(after.data ?? null).toBeNull();
    expect(await closed).toBe(4403);
    await client.dispose();
  }, 30_000);
});

async function revokeInDatabase(globalId: string): Promise<string> {
  const { decodeGlobalID } = await import("@pothos/plugin-relay");
  const { id } = decodeGlobalID(globalId);
  await api.server.app.db.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  return id;
}
