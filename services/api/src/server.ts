// The API process: the App (app.ts) served by yoga over HTTP (transport/http.ts) and graphql-ws over
// WebSocket (transport/ws.ts) on one port and path. A factory returning { start, stop } (docs/style.md 12).
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type AppRoot, createApp } from "./app.ts";
import type { Config } from "./config.ts";
import type { App } from "./context.ts";
import { createLogger, type Logger } from "./logger.ts";
import { ensureBootstrapAdmin } from "./modules/auth/service.ts";
import { startMetricsListener } from "./modules/metrics/routes.ts";
import { createRateLimiter } from "./security/ratelimit.ts";
import { createRequestListener } from "./transport/http.ts";
import { createWebSocketServer } from "./transport/ws.ts";
import { createGraphQL } from "./transport/yoga.ts";

export interface ApiServer {
  app: App;
  /** http://host:port */
  url: string;
  port: number;
  /** Set when a bootstrap admin token was generated at this start: print it once. */
  generatedAdminToken: string | null;
  /** Port of the FERRY_METRICS_LISTEN listener, when configured. */
  metricsPort: number | null;
  stop(): Promise<void>;
}

function listen(server: http.Server, config: Config): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch((error: Error) => {
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${error.message}`);
  });
}

function publicUrl(config: Config, port: number): string {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return `${config.tls ? "https" : "http"}://${host}:${port}`;
}

/** Builds the app, serves it, then starts the workers; stop() undoes it in reverse order. */
export async function startApiServer(
  config: Config,
  options: { logger?: Logger; rotateAdminToken?: boolean } = {},
): Promise<ApiServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const root: AppRoot = await createApp(config, logger);
  const { app } = root;
  let generatedAdminToken: string | null;
  try {
    generatedAdminToken = await ensureBootstrapAdmin(app, {
      token: config.adminToken,
      rotate: options.rotateAdminToken,
    });
  } catch (error) {
    await root.stop();
    throw error;
  }

  let accepting = false;
  const limiter = createRateLimiter({
    perSecond: config.security.rateLimitPerSecond,
    burst: config.security.rateLimitBurst,
  });
  const yoga = createGraphQL(app);
  const listener = createRequestListener({ root, yoga, limiter, accepting: () => accepting });
  const server = config.tls
    ? https.createServer(
        { cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) },
        listener,
      )
    : http.createServer(listener);
  const ws = createWebSocketServer({ server, app, yoga, limiter, sockets: root.sockets });

  try {
    await listen(server, config);
  } catch (error) {
    await ws.close();
    await root.stop();
    throw error;
  }
  let metricsListener: Awaited<ReturnType<typeof startMetricsListener>> | null = null;
  if (config.metricsListen) {
    try {
      metricsListener = await startMetricsListener(app, config.metricsListen);
    } catch (error) {
      await ws.close();
      await root.stop();
      server.close();
      throw new Error(
        `cannot listen on FERRY_METRICS_LISTEN ${config.metricsListen.host}:${config.metricsListen.port}: ${(error as Error).message}`,
      );
    }
  }
  root.start();
  accepting = true;
  const port = (server.address() as AddressInfo).port;
  const url = publicUrl(config, port);
  logger.info(
    { url: `${url}/graphql`, database: app.db.kind, replica: app.replicaId },
    "Ferry API listening",
  );

  let stopping: Promise<void> | null = null;
  const stop = async () => {
    accepting = false;
    // Stop taking work (HTTP, WebSocket), then the workers, then let what runs finish and close.
    const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await ws.close();
    await metricsListener?.close();
    await root.stop();
    server.closeAllConnections();
    await httpClosed;
    logger.debug("stopped");
  };
  return {
    app,
    url,
    port,
    generatedAdminToken,
    metricsPort: metricsListener?.port ?? null,
    stop: () => (stopping ??= stop()),
  };
}
