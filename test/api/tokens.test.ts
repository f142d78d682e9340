// API tokens: created by ADMIN with a role and an optional expiry, secret shown once and stored only
// as a hash, listed without secrets, revoked at once (HTTP and open WebSockets alike).

import { hashSecret } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { collect } from "../helpers/ws.ts";
import { createToken } from "../security/principals.ts";
import { wsConnect, wsOnce } from "../security/transport.ts";

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

  it("a token revoked elsewhere (another replica) loses its socket at its next operation", async () => {
    const { secret, apiToken } = await createToken(api, "revoked-elsewhere", "VIEWER");
    const client = wsConnect(api.url, secret);
    const feed = collect(client, "subscription { hostChanged { name } }");
    expect((await wsOnce(client, "{ viewer { name } }")).data).toEqual({
      viewer: { name: "revoked-elsewhere" },
    });
    const closed = new Promise<number>((resolve) =>
      client.on("closed", (e) => resolve((e as { code: number }).code)),
    );
    // Straight in the database, as another replica would.
    await revokeInDatabase(apiToken.id);
    const answer = await wsOnce(client, "{ viewer { name } }");
    expect(answer.data ?? null).toBeNull();
    expect(await closed).toBe(4403);
    feed.stop();
    await client.dispose();
  });

  it("a token revoked elsewhere loses an idle socket within seconds (periodic check)", async () => {
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

async function revokeInDatabase(globalId: string) {
  const { decodeGlobalID } = await import("@pothos/plugin-relay");
  await api.server.app.db.prisma.apiToken.update({
    where: { id: decodeGlobalID(globalId).id },
    data: { revokedAt: new Date() },
  });
}
