// Issue 15: GraphQL over Server-Sent Events at /graphql/stream (graphql-sse's own client, distinct
// connections mode): migrationProgress reaches 100 %; same auth and limits as WebSocket, including a
// revoked token: its open streams end (at once on this replica, at the next periodic check when it was
// revoked elsewhere), like its WebSockets (test/api/tokens.test.ts).
import { createClient } from "graphql-sse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { fleetIds, MOVE_GQL, pairWorld } from "../migrations/world.ts";
import { createToken } from "../security/principals.ts";

let api: TestApi;
let fleet: TestFleet;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { definition: pairWorld(2, 2, 20) });
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const client = (token: string | null) =>
  createClient({
    url: `${api.url}/graphql/stream`,
    singleConnection: false,
    retryAttempts: 0,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

describe("GraphQL over SSE (/graphql/stream)", () => {
  it("streams migrationProgress until the move reaches 100 %", async () => {
    const ids = await fleetIds((q) => api.gqlOk(q));
    const moved = await api.gqlOk<{ moveVm: { migration: { id: string } } }>(MOVE_GQL, {
      input: { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2 },
    });
    const id = moved.moveVm.migration.id;
    const seen: { state: string; percentComplete: number }[] = [];
    const sse = client(ADMIN_TOKEN);
    for await (const result of sse.iterate<{ migrationProgress: { state: string; percentComplete: number } }>(
      {
        query: "subscription($id: ID!) { migrationProgress(id: $id) { state percentComplete } }",
        variables: { id },
      },
    )) {
      expect(result.errors).toBeUndefined();
      seen.push(result.data!.migrationProgress);
      if (["SUCCEEDED", "FAILED", "CANCELLED"].includes(result.data!.migrationProgress.state)) break;
    }
    sse.dispose();
    expect(seen.at(-1)).toEqual({ state: "SUCCEEDED", percentComplete: 100 });
    const percents = seen.map((s) => s.percentComplete);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });

  it("queries work too; no token is refused (401) like the WebSocket's connection_init", async () => {
    const ok = await client(ADMIN_TOKEN).iterate({ query: "{ viewer { name role } }" }).next();
    expect(ok.value).toMatchObject({ data: { viewer: { role: "ADMIN" } } });
    await expect(client(null).iterate({ query: "{ viewer { name } }" }).next()).rejects.toThrow(
      /401|Authentication/,
    );
    const res = await fetch(`${api.url}/graphql/stream`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "{ viewer { name } }" }),
    });
    expect(res.status).toBe(401);
  });

  it("applies the same query limits (depth) and refuses reserved streams (single connection mode)", async () => {
    const deep = `{ hosts(first: 1) { edges { node { vms(first: 1) { edges { node { host { vms(first: 1) { edges { node { host { vms(first: 1) { edges { node { host { name } } } } } } } } } } } } } } } }`;
    const refused = await fetch(`${api.url}/graphql/stream`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${ADMIN_TOKEN}`,
      },
      body: JSON.stringify({ query: deep }),
    });
    const text = await refused.text();
    expect(text, `status ${refused.status}`).toMatch(/depth/i);
    const put = await fetch(`${api.url}/graphql/stream`, {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(put.status).toBe(400);
  });

  it("a stream whose token is revoked on this replica ends at once with UNAUTHENTICATED", async () => {
    const { secret, apiToken } = await createToken(api, "sse-revoked-here", "VIEWER");
    const stream = await openIdleStream(secret);
    await api.gqlOk("mutation($id: ID!) { revokeApiToken(id: $id) { errors { message } } }", {
      id: apiToken.id,
    });
    const text = await within(stream.ended, 10_000, "the stream to end after revokeApiToken");
    expect(text).toMatch(/event: next\ndata: .*"UNAUTHENTICATED"/);
    expect(text).toContain("event: complete");
    // And the token opens no new stream.
    const again = await fetch(`${api.url}/graphql/stream`, streamRequest(secret));
    expect(again.status).toBe(401);
  });

  it("a stream whose token is revoked elsewhere (another replica) ends within seconds (periodic check)", async () => {
    const { secret, apiToken } = await createToken(api, "sse-revoked-elsewhere", "VIEWER");
    const stream = await openIdleStream(secret);
    const valid = await openIdleStream((await createToken(api, "sse-still-valid", "VIEWER")).secret);
    // Straight in the database, as another replica would.
    const { decodeGlobalID } = await import("@pothos/plugin-relay");
    await api.server.app.db.prisma.apiToken.update({
      where: { id: decodeGlobalID(apiToken.id).id },
      data: { revokedAt: new Date() },
    });
    const text = await within(stream.ended, 30_000, "the stream to end after the revocation elsewhere");
    expect(text).toContain("UNAUTHENTICATED");
    expect(text).toContain("event: complete");
    // The check that ended it left the stream of a valid token open.
    expect(await Promise.race([valid.ended.then(() => "ended"), Promise.resolve("open")])).toBe("open");
    valid.abort();
  });
});

const streamRequest = (token: string): RequestInit => ({
  method: "POST",
  headers: {
    "content-type": "application/json",
    accept: "text/event-stream",
    authorization: `Bearer ${token}`,
  },
  body: JSON.stringify({ query: "subscription { hostChanged { name } }" }),
});

/** An SSE stream of a subscription that stays quiet; `ended` resolves with all it said when the server ends it. */
async function openIdleStream(token: string) {
  const controller = new AbortController();
  const res = await fetch(`${api.url}/graphql/stream`, {
    ...streamRequest(token),
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let opened!: () => void;
  const open = new Promise<void>((r) => (opened = r));
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
      opened();
    }
  })();
  ended.catch(() => {});
  // The server's first bytes (a comment) say the subscription is set up.
  await within(open, 30_000, "the stream to open");
  return { ended, abort: () => controller.abort() };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
