// One bad operation on a WebSocket is an error for that operation only (issue 12 item 8): a syntax
// error, an oversized document or a document nested too deeply does not close the socket, and the
// other subscriptions on it keep running. Keepalive pings drop a peer that stopped answering.
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { enrolledAgent } from "../security/principals.ts";

const MAX_BODY = 4096;
let api: TestApi;
let hostId: string;

beforeAll(async () => {
  api = await startTestApi({
    FERRY_MAX_BODY_BYTES: String(MAX_BODY),
    FERRY_MAX_TOKENS: "100",
    FERRY_WS_PING_SECONDS: "1",
  });
  await enrolledAgent(api, "HV-WS-OPS");
  hostId = (await api.server.app.db.prisma.host.findFirstOrThrow({ where: { name: "HV-WS-OPS" } })).id;
});
afterAll(async () => api?.stop());

/** The errors of one operation, or how the socket ended instead. */
function answerOf(client: Client, query: string): Promise<{ errors?: unknown[]; closed?: unknown }> {
  return new Promise((resolve) => {
    client.subscribe(
      { query },
      {
        next: (r) => resolve({ errors: r.errors as unknown[] }),
        error: (e) => resolve(Array.isArray(e) ? { errors: e } : { closed: e }),
        complete: () => resolve({}),
      },
    );
  });
}

const codes = (a: { errors?: unknown[] }) =>
  (a.errors ?? []).map((e) => (e as { extensions?: { code?: string } }).extensions?.code);

describe("graphql-ws: errors per operation", () => {
  it("answers a syntax error, an oversized and a too-deep document on their own; the socket and its subscriptions go on", async () => {
    const client = wsClient(api.url, ADMIN_TOKEN);
    let closed: unknown = null;
    client.on("closed", (event) => (closed ??= event));
    const hosts = collect<{ hostChanged: { name: string } }>(client, "subscription { hostChanged { name } }");
    const publish = () => api.server.app.pubsub.publish("hostChanged", { hostId });
    const firstSeen = hosts.next((e) => e.hostChanged.name === "HV-WS-OPS", 60_000);
    const ticker = setInterval(publish, 200);
    try {
      await firstSeen;
    } finally {
      clearInterval(ticker);
    }

    const syntax = await answerOf(client, "subscription { hostChanged { name }");
    expect(syntax.closed, "the socket must not close on a syntax error").toBeUndefined();
    expect(codes(syntax)).toEqual(["GRAPHQL_PARSE_FAILED"]);
    expect(JSON.stringify(syntax.errors)).toContain("Syntax Error");

    const padding = "#".repeat(MAX_BODY + 10);
    const oversized = await answerOf(client, `${padding}\n{ viewer { name } }`);
    expect(oversized.closed, "the socket must not close on an oversized document").toBeUndefined();
    expect(codes(oversized)).toEqual(["PAYLOAD_TOO_LARGE"]);

    const tokens = await answerOf(client, `{ viewer { ${"name ".repeat(150)}} }`);
    expect(tokens.closed, "the socket must not close on a document over the token limit").toBeUndefined();
    expect(codes(tokens)).toEqual(["GRAPHQL_PARSE_FAILED"]);

    const deep = await answerOf(client, `{ ${"a { ".repeat(20)}b${" }".repeat(20)} }`);
    expect(deep.closed, "the socket must not close on a document nested too deeply").toBeUndefined();
    expect(codes(deep)).toContain("QUERY_TOO_DEEP");

    // The first subscription still runs, and new operations on the same socket work.
    const before = hosts.events.length;
    const again = hosts.next(() => hosts.events.length > before, 60_000);
    const ticker2 = setInterval(publish, 200);
    try {
      await again;
    } finally {
      clearInterval(ticker2);
    }
    const viewer = await answerOf(client, "{ viewer { name } }");
    expect(viewer.errors).toBeUndefined();
    expect(closed).toBeNull();
    expect(hosts.errors).toEqual([]);
    hosts.stop();
    await client.dispose();
  });
});

describe("graphql-ws: keepalive", () => {
  it("drops a socket whose peer stops answering pings, and keeps one that answers", async () => {
    const url = `${api.url.replace(/^http/, "ws")}/graphql`;
    const open = (autoPong: boolean) =>
      new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(url, "graphql-transport-ws", { autoPong });
        socket.once("error", reject);
        socket.once("open", () => {
          socket.send(
            JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
          );
        });
        socket.on("message", (data) => {
          if (JSON.parse(String(data)).type === "connection_ack") resolve(socket);
        });
      });
    const healthy = await open(true);
    const halfOpen = await open(false);
    let pings = 0;
    healthy.on("ping", () => pings++);
    // The silent peer is terminated (1006: no close frame) after a ping it did not answer.
    const code = await new Promise<number>((resolve) => halfOpen.once("close", (c) => resolve(c)));
    expect(code).toBe(1006);
    expect(pings).toBeGreaterThan(0);
    expect(healthy.readyState).toBe(WebSocket.OPEN);
    healthy.close();
  });
});
