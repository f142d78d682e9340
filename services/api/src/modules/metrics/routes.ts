// GET /metrics (Prometheus text format). On the API port it needs `Authorization: Bearer` with any
// valid API token (VIEWER or higher); FERRY_METRICS_LISTEN serves it without a token on a separate
// address (bind it where only Prometheus reaches it). See the README's "Monitoring".
import http from "node:http";
import type { App } from "../../context.ts";
import { bearer } from "../auth/secrets.ts";
import { authenticate } from "../auth/service.ts";
import { metricsOf } from "./registry.ts";

export const METRICS_PATH = "/metrics";

async function send(app: App, res: http.ServerResponse) {
  const { registry } = metricsOf(app);
  const body = await registry.metrics();
  res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" }).end(body);
}

/** /metrics on the API port: any valid API token. */
export async function handleMetrics(app: App, req: http.IncomingMessage, res: http.ServerResponse) {
  if (req.method !== "GET" && req.method !== "HEAD") {
    return void res.writeHead(405, { allow: "GET" }).end();
  }
  const principal = await authenticate(app, bearer(req.headers.authorization)).catch(() => null);
  if (principal?.kind !== "user") {
    return void res
      .writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="ferry"' })
      .end("metrics need Authorization: Bearer <API token>\n");
  }
  await send(app, res);
}

/** FERRY_METRICS_LISTEN: a separate listener serving only /metrics, without a token. */
export async function startMetricsListener(app: App, at: { host: string; port: number }) {
  const server = http.createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://x").pathname !== METRICS_PATH) {
      return void res.writeHead(404, { "content-type": "text/plain" }).end("only /metrics here\n");
    }
    send(app, res).catch((err) => {
      app.logger.error({ err }, "metrics failed");
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
