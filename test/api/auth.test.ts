// Authentication from day one: every field needs a bearer token, over HTTP and WebSocket.
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startTestApi, type TestApi } from "../helpers/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

describe("authentication", () => {
  it("rejects a request without a token with UNAUTHENTICATED and HTTP 401", async () => {
    const result = await api.gql("{ hosts { totalCount } }", {}, null);
    expect(result.status).toBe(401);
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    expect(result.data ?? null).toBeNull();
  });

  it("rejects a wrong token the same way", async () => {
    const result = await api.gql("{ viewer { name } }", {}, "fy_not-a-real-token");
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("rejects mutations without a token and changes nothing", async () => {
    const result = await api.gql(
      'mutation { createAgentEnrollment(input: {hostName: "HV-X"}) { token } }',
      {},
      null,
    );
    expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const count = await api.server.app.db.prisma.agentEnrollment.count();
    expect(count).toBe(0);
  });

  it("accepts the bootstrap admin token", async () => {
    const data = await api.gqlOk<{ viewer: { name: string; role: string } }>("{ viewer { name role } }");
    expect(data.viewer).toEqual({ name: "bootstrap-admin", role: "ADMIN" });
  });

  it("closes a WebSocket whose connection_init has no valid token with 4401", async () => {
    const client = createClient({
      url: `${api.url.replace("http", "ws")}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: "Bearer wrong" },
      retryAttempts: 0,
      lazy: true,
    });
    const outcome = await new Promise<unknown>((resolve) => {
      client.subscribe(
        { query: "subscription { hostChanged { name } }" },
        { next: resolve, error: resolve, complete: () => resolve("complete") },
      );
    });
    expect((outcome as { code?: number }).code).toBe(4401);
    await client.dispose();
  });

  it("an enrollment token is single use and good only for enrollAgent", async () => {
    const created = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
      'mutation { createAgentEnrollment(input: {hostName: "HV-E1"}) { token errors { message } } }',
    );
    const token = created.createAgentEnrollment.token;
    const denied = await api.gql("{ hosts { totalCount } }", {}, token);
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const enroll =
      "mutation($h: String!) { enrollAgent(input: {hostName: $h}) { credential hostId errors { __typename message } } }";
    const wrongHost = await api.gqlOk<{ enrollAgent: { errors: { __typename: string }[] } }>(
      enroll,
      { h: "HV-OTHER" },
      token,
    );
    expect(wrongHost.enrollAgent.errors[0]!.__typename).toBe("ValidationError");
    const first = await api.gqlOk<{ enrollAgent: { credential: string } }>(enroll, { h: "HV-E1" }, token);
    expect(first.enrollAgent.credential).toMatch(/^fya_/);
    const second = await api.gql(enroll, { h: "HV-E1" }, token);
    expect(second.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("validates enrollment input with a typed error naming the field", async () => {
    const data = await api.gqlOk<{
      createAgentEnrollment: { token: string | null; errors: { __typename: string; field: string }[] };
    }>(
      'mutation { createAgentEnrollment(input: {hostName: "bad name; rm -rf"}) { token errors { __typename ... on ValidationError { field } } } }',
    );
    expect(data.createAgentEnrollment.token).toBeNull();
    expect(data.createAgentEnrollment.errors).toEqual([
      { __typename: "ValidationError", field: "input.hostName" },
    ]);
  });
});
