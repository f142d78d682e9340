// A webhook receiver for tests: a real HTTP server that records every POST (headers and raw body),
// verifies its signature, and can go away (port closed: connection refused) and come back on the same port.
// One receiver per webhook: it verifies with that webhook's secret, checked when a test reads
// `signatureValid` (a delivery may arrive before the test has stored the secret createWebhook returned).
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  id: string;
  type: string;
  time: string;
  data: { id: string; state?: string; name?: string; ready?: boolean; [key: string]: unknown };
  timestamp: number;
  signatureValid: boolean;
  receivedAt: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The secret to verify with (set after createWebhook). */
  secret: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export function verify(secret: string, timestamp: string, body: string, header: string): boolean {
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(header);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const self = { secret: "" } as Receiver;
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const timestamp = String(req.headers["x-ferry-timestamp"] ?? "");
      const signature = String(req.headers["x-ferry-signature"] ?? "");
      const parsed = JSON.parse(body);
      const entry = { ...parsed, timestamp: Number(timestamp), receivedAt: Date.now() } as Received;
      Object.defineProperty(entry, "signatureValid", {
        get: () => verify(self.secret, timestamp, body, signature),
        enumerable: true,
      });
      received.push(entry);
      res.writeHead(204).end();
    });
  };
  let server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  Object.assign(self, {
    url: `http://127.0.0.1:${port}/hooks/ferry`,
    received,
    async down() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
    async up() {
      server = http.createServer(handler);
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    },
    async close() {
      if (server.listening) await self.down();
    },
  });
  return self;
}
