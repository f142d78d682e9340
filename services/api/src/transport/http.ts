// The HTTP request listener: probes (/healthz, /readyz), the console's files (/ui), the export routes, then the guards of
// security/http.ts in front of yoga.
import type http from "node:http";
import type { AppRoot } from "../app.ts";
import { handleExport, isExportPath } from "../export/routes.ts";
import { handleMetrics, METRICS_PATH } from "../modules/metrics/routes.ts";
import { allowCsrf, allowGetParams, allowRate, readBody, sendError } from "../security/http.ts";
import type { RateLimiter } from "../security/ratelimit.ts";
import { handleConsole, isConsolePath } from "./console.ts";
import { assignRequestId } from "./request-id.ts";
import { createSseHandler, SSE_PATH } from "./sse.ts";
import type { GraphQLEngine } from "./yoga.ts";

export interface HttpOptions {
  root: AppRoot;
  yoga: GraphQLEngine;
  limiter: RateLimiter;
  /** False while starting and once stopping: /readyz answers 503 without asking the database. */
  accepting: () => boolean;
}

/**
 * /readyz: 200 only when this replica serves and its database (and Redis, when configured) answer
 * within FERRY_READINESS_TIMEOUT_MS; 503 with the reason otherwise, so a load balancer routes around it.
 */
async function readyz(options: HttpOptions, res: http.ServerResponse) {
  if (!options.accepting()) {
    return void res.writeHead(503, { "content-type": "text/plain" }).end("starting or stopping");
  }
  const { ready, checks } = await options.root.readiness();
  const body = Object.entries(checks)
    .map(([k, v]) => (v === "ok" ? `${k}: ok` : v))
    .join("\n");
  res
    .writeHead(ready ? 200 : 503, { "content-type": "text/plain", "cache-control": "no-store" })
    .end(ready ? `ready\n${body}` : `not ready\n${body}`);
}

export function createRequestListener(options: HttpOptions) {
  const { root, yoga, limiter } = options;
  const { app } = root;
  const maxBodyBytes = app.config.security.maxBodyBytes;
  const sse = createSseHandler({ app, yoga, limiter, sockets: root.sockets });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendError(res, 400, "BAD_REQUEST", "Malformed URL");
    }
    if (url.pathname === SSE_PATH) return sse(req, res, url);
    if (isConsolePath(url.pathname)) return handleConsole(req, res, url.pathname);
    if (url.pathname === METRICS_PATH) {
      if (allowRate(limiter, req, res)) await handleMetrics(app, req, res);
      return;
    }
    if (isExportPath(url.pathname)) {
      if (allowRate(limiter, req, res)) await handleExport(app, req, res, url);
      return;
    }
    if (url.pathname !== yoga.graphqlEndpoint) {
      return sendError(res, 404, "NOT_FOUND", "Not found: the API is at /graphql");
    }
    assignRequestId(req, res);
    if (!allowRate(limiter, req, res) || !allowCsrf(req, res, url) || !allowGetParams(req, res, url)) return;
    if (req.method === "POST") {
      const body = await readBody(req, res, maxBodyBytes);
      if (!body) return;
      // @whatwg-node reads an already-read body from req.body (as body parsers leave it).
      (req as http.IncomingMessage & { body?: Buffer }).body = body;
    }
    await yoga.handle(req, res);
  };
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === "/healthz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    if (req.url === "/readyz") {
      return void readyz(options, res).catch((err) => {
        app.logger.error({ err }, "readiness check failed");
        sendError(res, 503, "SERVICE_UNAVAILABLE", "readiness check failed");
      });
    }
    if (req.url === "/") return void res.writeHead(302, { location: "/graphql" }).end();
    void app.inflight.track(
      handle(req, res).catch((err) => {
        app.logger.error({ err }, "request failed");
        sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error");
      }),
    );
  };
}
