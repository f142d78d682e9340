// The API process: yoga (HTTP + GraphiQL) and graphql-ws (WebSocket) on one port and path, one
// context for both, authentication before any resolver runs. A factory returning { start, stop }.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Config } from "./config.ts";
import type { App, Context, Principal } from "./context.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { handleExport, isExportPath } from "./export/routes.ts";
import { createInflight, withTimeout } from "./inflight.ts";
import { createLogger, type Logger } from "./logger.ts";
import { flushAuditOutbox } from "./modules/audit/service.ts";
import { bearer } from "./modules/auth/secrets.ts";
import { authenticate, ensureBootstrapAdmin } from "./modules/auth/service.ts";
import { startLostAgentSweeper } from "./modules/migrations/lifecycle.ts";
import { startScheduler } from "./modules/migrations/scheduler.ts";
import { AppError } from "./modules/shared/errors.ts";
import { createAppPubSub } from "./pubsub.ts";
import { schema } from "./schema.ts";
import { useAuthentication } from "./security/authentication.ts";
import { allowCsrf, allowGetParams, allowRate, rateKey, readBody, sendError } from "./security/http.ts";
import { useQueryLimits } from "./security/limits.ts";
import { createRateLimiter } from "./security/ratelimit.ts";
import { logExpected, yogaLogger } from "./security/refusals.ts";
import { CLOSE_REVOKED, createSocketRegistry } from "./security/sockets.ts";

export interface ApiServer {
  app: App;
  /** http://host:port */
  url: string;
  port: number;
  /** Set when a bootstrap admin token was generated at this start: print it once. */
  generatedAdminToken: string | null;
  stop(): Promise<void>;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

type Enveloped = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

interface ServerContext {
  principal: Principal | null;
  requestId: string;
}

export async function startApiServer(
  config: Config,
  options: { logger?: Logger; rotateAdminToken?: boolean } = {},
): Promise<ApiServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  let db: Database | null = null;
  const pubsubHandle = createAppPubSub(config.redisUrl);
  try {
    db = await openDatabase(config, logger);
  } catch (error) {
    await pubsubHandle.close();
    throw error;
  }
  const inflight = createInflight();
  const app: App = { config, logger, db, pubsub: pubsubHandle.pubsub, replicaId: config.replicaId, inflight };
  const generatedAdminToken = await ensureBootstrapAdmin(app, {
    token: config.adminToken,
    rotate: options.rotateAdminToken,
  });

  let ready = false;
  const security = config.security;
  const limiter = createRateLimiter({
    perSecond: security.rateLimitPerSecond,
    burst: security.rateLimitBurst,
  });
  const sockets = createSocketRegistry(app);
  const yoga = createYoga<ServerContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    // GraphiQL needs introspection; with it switched off there is no GraphiQL either.
    graphiql: security.introspection ? { subscriptionsProtocol: "WS", title: "Ferry" } : false,
    multipart: false,
    batching: false,
    logging: yogaLogger(logger.child({ module: "yoga" })),
    maskedErrors: {
      // Expected errors thrown outside mutations (bad ids in queries/subscriptions) reach the client
      // as BAD_USER_INPUT; everything else stays masked.
      maskError(error, message) {
        const original = (error as { originalError?: unknown }).originalError ?? error;
        if (original instanceof AppError) {
          const answer = new GraphQLError(original.message, { extensions: { code: "BAD_USER_INPUT" } });
          logExpected(logger, error, answer);
          return answer;
        }
        // Our own coded errors (UNAUTHENTICATED, FORBIDDEN) and GraphQL's validation errors pass,
        // logged as refusals (security/refusals.ts), not as errors with a stack trace.
        if (codeOf(original) && codeOf(original) !== "INTERNAL_SERVER_ERROR") {
          const answer = (
            error instanceof GraphQLError && codeOf(error) === codeOf(original) ? error : original
          ) as GraphQLError;
          logExpected(logger, error, answer);
          return answer;
        }
        // Bad input that graphql-js (variable coercion, scalars) or Pothos (connection arguments,
        // global ids) rejected: the message is about the input, so it reaches the client as such.
        if (
          original instanceof GraphQLError &&
          (original.name === "GraphQLError" || original.name === "PothosValidationError")
        ) {
          const located = error instanceof GraphQLError ? error : original;
          const answer = new GraphQLError(located.message, {
            nodes: located.nodes,
            path: located.path,
            extensions: { code: "BAD_USER_INPUT" },
          });
          logExpected(logger, error, answer);
          return answer;
        }
        if (original === error && error instanceof GraphQLError) return error;
        logger.error({ err: original }, "unexpected error");
        return new GraphQLError(message, { extensions: { code: "INTERNAL_SERVER_ERROR" } });
      },
    },
    context: async ({ request, principal, requestId }): Promise<Context> => ({
      app,
      principal:
        principal !== undefined
          ? principal
          : await authenticate(app, bearer(request?.headers.get("authorization"))),
      requestId: requestId ?? request?.headers.get("x-request-id")?.slice(0, 100) ?? randomUUID(),
    }),
    plugins: [useQueryLimits(security), useAuthentication()],
  });

  // HTTP guards before yoga (security/http.ts): rate limit per token, CSRF, bounded request body.
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendError(res, 400, "BAD_REQUEST", "Malformed URL");
    }
    if (isExportPath(url.pathname)) {
      if (allowRate(limiter, req, res)) await handleExport(app, req, res, url);
      return;
    }
    if (url.pathname !== yoga.graphqlEndpoint) {
      return sendError(res, 404, "NOT_FOUND", "Not found: the API is at /graphql");
    }
    if (!allowRate(limiter, req, res) || !allowCsrf(req, res, url) || !allowGetParams(req, res, url)) return;
    if (req.method === "POST") {
      const body = await readBody(req, res, security.maxBodyBytes);
      if (!body) return;
      // @whatwg-node reads an already-read body from req.body (as body parsers leave it).
      (req as http.IncomingMessage & { body?: Buffer }).body = body;
    }
    await yoga.handle(req, res);
  };
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.url === "/healthz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    if (req.url === "/readyz") {
      return void res
        .writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
        .end(ready ? "ready" : "starting");
    }
    if (req.url === "/") return void res.writeHead(302, { location: "/graphql" }).end();
    void inflight.track(
      handle(req, res).catch((err) => {
        logger.error({ err }, "request failed");
        sendError(res, 500, "INTERNAL_SERVER_ERROR", "Unexpected error");
      }),
    );
  };
  const server = config.tls
    ? https.createServer(
        { cert: fs.readFileSync(config.tls.certFile), key: fs.readFileSync(config.tls.keyFile) },
        listener,
      )
    : http.createServer(listener);

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: security.maxBodyBytes });
  const wsServer = useServer<
    { authorization?: string },
    { principal: Principal | null; secret: string | null; rateKey: string; untrack?: () => void }
  >(
    {
      // yoga's enveloped execute/subscribe travel in rootValue (the graphql-ws recipe of yoga's docs).
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onConnect: async (ctx) => {
        const header =
          typeof ctx.connectionParams?.authorization === "string" ? ctx.connectionParams.authorization : null;
        const secret = bearer(header);
        const principal = await authenticate(app, secret);
        if (!principal) {
          // 4401: graphql-ws's close code for a refused connection_init.
          ctx.extra.socket.close(
            4401,
            "UNAUTHENTICATED: connection_init needs { authorization: 'Bearer <token>' }",
          );
          return false;
        }
        ctx.extra.principal = principal;
        ctx.extra.secret = secret;
        ctx.extra.rateKey = rateKey(header, ctx.extra.request.socket.remoteAddress);
        // Tracked so that revoking the token (or its expiry) closes this socket.
        ctx.extra.untrack = sockets.add(principal, ctx.extra.socket);
        return true;
      },
      onClose: (ctx) => ctx.extra.untrack?.(),
      onSubscribe: async (ctx, _id, params) => {
        const verdict = limiter.take(ctx.extra.rateKey ?? "ws");
        if (!verdict.ok) {
          return [
            new GraphQLError(`Too many requests; retry after ${verdict.retryAfterSeconds} s`, {
              extensions: { code: "RATE_LIMITED", retryAfterSeconds: verdict.retryAfterSeconds },
            }),
          ];
        }
        // The database decides: a token revoked since connection_init (on any replica) ends the socket.
        if (!(await authenticate(app, ctx.extra.secret ?? null))) {
          // After graphql-ws has sent this operation's error (closing inside onSubscribe races it).
          setImmediate(() => ctx.extra.socket.close(CLOSE_REVOKED, "Forbidden: token revoked or expired"));
          return [new GraphQLError("Token revoked or expired", { extensions: { code: "UNAUTHENTICATED" } })];
        }
        const {
          schema: s,
          execute,
          subscribe,
          contextFactory,
          parse,
          validate,
        } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          principal: ctx.extra.principal ?? null,
          requestId: randomUUID(),
        });
        const args = {
          schema: s,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wss,
  );

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (error) {
    await wsServer.dispose();
    wss.close();
    sockets.stop();
    await pubsubHandle.close();
    await db.close();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const scheduler = startScheduler(app);
  const sweeper = startLostAgentSweeper(app);
  ready = true;
  const port = (server.address() as AddressInfo).port;
  const url = `${config.tls ? "https" : "http"}://${config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host}:${port}`;
  logger.info({ url: `${url}/graphql`, database: db.kind, replica: app.replicaId }, "Ferry API listening");

  let stopped = false;
  return {
    app,
    url,
    port,
    generatedAdminToken,
    async stop() {
      if (stopped) return;
      stopped = true;
      ready = false;
      // Stop taking work, let what is running finish (bounded), then close the database.
      sweeper.stop();
      await scheduler.stop();
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await wsServer.dispose();
      sockets.stop();
      const left = await inflight.drain(10_000);
      if (left > 0) logger.warn({ left }, "stopping with requests still running");
      const unwritten = await flushAuditOutbox(app);
      if (unwritten > 0) logger.error({ unwritten }, "audit entries could not be written before shutdown");
      server.closeAllConnections();
      await httpClosed;
      await pubsubHandle.close();
      const closed = await withTimeout(
        db.close().then(() => true),
        10_000,
        false,
      );
      if (!closed) logger.warn("database did not close within 10 s");
      logger.debug("stopped");
    },
  };
}
