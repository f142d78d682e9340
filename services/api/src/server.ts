// The API process: yoga (HTTP + GraphiQL) and graphql-ws (WebSocket) on one port and path, one
// context for both, authentication before any resolver runs. A factory returning { start, stop }.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { createYoga, type Plugin } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Config } from "./config.ts";
import type { App, Context, Principal } from "./context.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { createInflight, withTimeout } from "./inflight.ts";
import { createLogger, type Logger } from "./logger.ts";
import { bearer } from "./modules/auth/secrets.ts";
import { authenticate, ensureBootstrapAdmin } from "./modules/auth/service.ts";
import { AppError, unauthenticated } from "./modules/shared/errors.ts";
import { createAppPubSub } from "./pubsub.ts";
import { schema } from "./schema.ts";

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

/** Rejects every operation of an unauthenticated caller before execution. */
function requireAuthentication(): Plugin<ServerContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!(args.contextValue as unknown as Context).principal) {
        setResultAndStopExecution({ errors: [unauthenticated()] });
      }
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (!(args.contextValue as unknown as Context).principal) {
        setResultAndStopExecution({ errors: [unauthenticated()] });
      }
    },
  };
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
  const yoga = createYoga<ServerContext>({
    schema,
    graphqlEndpoint: "/graphql",
    landingPage: false,
    graphiql: { subscriptionsProtocol: "WS", title: "Ferry" },
    logging: logger.child({ module: "yoga" }),
    maskedErrors: {
      // Expected errors thrown outside mutations (bad ids in queries/subscriptions) reach the client
      // as BAD_USER_INPUT; everything else stays masked.
      maskError(error, message) {
        const original = (error as { originalError?: unknown }).originalError ?? error;
        if (original instanceof AppError) {
          return new GraphQLError(original.message, { extensions: { code: "BAD_USER_INPUT" } });
        }
        // Our own coded errors (UNAUTHENTICATED, FORBIDDEN) and GraphQL's validation errors pass.
        if (codeOf(original) && codeOf(original) !== "INTERNAL_SERVER_ERROR") return original as Error;
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
    plugins: [requireAuthentication()],
  });

  const server = http.createServer((req, res) => {
    if (req.url === "/healthz") return void res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    if (req.url === "/readyz") {
      return void res
        .writeHead(ready ? 200 : 503, { "content-type": "text/plain" })
        .end(ready ? "ready" : "starting");
    }
    if (req.url === "/") return void res.writeHead(302, { location: "/graphql" }).end();
    void inflight.track(Promise.resolve(yoga.handle(req, res)));
  });

  const wss = new WebSocketServer({ server, path: yoga.graphqlEndpoint, maxPayload: 4 * 1024 * 1024 });
  const wsServer = useServer<{ authorization?: string }, { principal: Principal | null }>(
    {
      // yoga's enveloped execute/subscribe travel in rootValue (the graphql-ws recipe of yoga's docs).
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onConnect: async (ctx) => {
        const header =
          typeof ctx.connectionParams?.authorization === "string" ? ctx.connectionParams.authorization : null;
        const principal = await authenticate(app, bearer(header));
        if (!principal) {
          // 4401: graphql-ws's close code for a refused connection_init.
          ctx.extra.socket.close(
            4401,
            "UNAUTHENTICATED: connection_init needs { authorization: 'Bearer <token>' }",
          );
          return false;
        }
        ctx.extra.principal = principal;
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
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
    await pubsubHandle.close();
    await db.close();
    throw new Error(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  ready = true;
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host}:${port}`;
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
      const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await wsServer.dispose();
      const left = await inflight.drain(10_000);
      if (left > 0) logger.warn({ left }, "stopping with requests still running");
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
