// Bounds on the agent's requests (issue 12 "Bounds"): an API that accepts the connection and then
// never answers (a hung resolver, a stuck replica) must not hang the agent forever. Real sockets:
// a minimal graphql-transport-ws server that acknowledges and then stays silent, and an HTTP server
// that never responds.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ReportInventoryDocument } from "@ferry/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { enroll } from "./enroll.ts";
import { openLink } from "./link.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Last opened, first closed: the link goes before its server, so it never sees the server vanish.
  for (const close of closers.splice(0).reverse()) await close();
});

/** Acknowledges connection_init, records every subscribe and complete, answers nothing. */
async function silentApi() {
  const seen = { subscribed: [] as { id: string; query: string }[], completed: [] as string[] };
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  server.on("connection", (socket) => {
    socket.on("message", (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { query: string } };
      if (message.type === "connection_init") socket.send(JSON.stringify({ type: "connection_ack" }));
      if (message.type === "ping") socket.send(JSON.stringify({ type: "pong" }));
      if (message.type === "subscribe")
        seen.subscribed.push({ id: message.id!, query: message.payload!.query });
      if (message.type === "complete") seen.completed.push(message.id!);
    });
  });
  await new Promise((r) => server.once("listening", r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const c of server.clients) c.terminate();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<"still waiting">((r) => setTimeout(() => r("still waiting"), ms))]);

describe("the agent's requests to the API are bounded", () => {
  it("a mutation the API never answers fails with RequestTimeoutError, and the operation is abandoned", async () => {
    const api = await silentApi();
    let connected!: () => void;
    const ready = new Promise<void>((r) => {
      connected = r;
    });
    const link = openLink({
      apiUrls: [api.url],
      credential: "agent-secret",
      onConnected: () => connected(),
      onCommand: () => {},
      onFatal: () => {},
      log: () => {},
      requestTimeoutMs: 500,
    });
    closers.push(() => link.close());
    // The bound is on the answer: ask once connected (on a loaded machine connecting alone can take
    // longer than the 500 ms under test, and the request would time out before it was ever sent).
    await ready;
    const request = link.request(ReportInventoryDocument, {
      input: { inventory: {}, agentVersion: "test", backend: "simulator" },
    } as never);
    const outcome = await within(
      request.catch((error: unknown) => error),
      10_000,
    );
    expect(outcome).toMatchObject({ name: "RequestTimeoutError" });
    const sent = api.seen.subscribed.find((s) => s.query.includes("agentReportInventory"));
    expect(sent).toBeDefined();
    // graphql-ws `complete`: the server may stop working on it.
    await expect.poll(() => api.seen.completed, { timeout: 5_000 }).toContain(sent!.id);
  });

  it("enrollment against an API that never responds gives up (and the next replica can be tried)", async () => {
    const server = http.createServer(() => {
      /* never responds */
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(
      () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const outcome = await within(
      enroll(url, "enrollment-secret", "HV1", 500).catch((error: unknown) => error),
      10_000,
    );
    expect(outcome).toMatchObject({ name: "TimeoutError" });
  });
});
