// Issue 15: GraphQL over Server-Sent Events at /graphql/stream (graphql-sse's own client, distinct
// connections mode): migrationProgress reaches 100 %; same auth and limits as WebSocket.
import { createClient } from "graphql-sse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { fleetIds, MOVE_GQL, pairWorld } from "../migrations/world.ts";

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
});
