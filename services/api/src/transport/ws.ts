// graphql-ws on the HTTP server's /graphql: authentication at connection_init (the principal is then
// cached for the socket's life: no operation reads the token table; revocation closes the socket on
// every replica through security/sockets.ts), the rate limit and an expiry check per operation, one
// context through yoga's envelop. A bad operation (syntax error,
// oversized or too deep document, database away) is an error for that operation only: the socket and
// its other subscriptions go on. Keepalive pings drop sockets whose peer stopped answering.
// Subscriptions of the same shape (document, variables, the principal's scope) share one execution
// whose results are written to every subscriber (shared-subscriptions.ts); the checks above stay per
// operation.
import { randomUUID } from "node:crypto";
import type http from "node:http";
import type https from "node:https";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocket, WebSocketServer } from "ws";
import type { App, Principal } from "../context.ts";
import { bearer } from "../modules/auth/secrets.ts";
import { authenticateSession } from "../modules/auth/service.ts";
import { metricsOf } from "../modules/metrics/registry.ts";
import { rateKey } from "../security/http.ts";
import type { RateLimiter } from "../security/ratelimit.ts";
import { CLOSE_REVOKED, type SocketRegistry } from "../security/sockets.ts";
import { isUnavailable, serviceUnavailable } from "./error-policy.ts";
import { createSharedSubscriptions, type SharedOperation } from "./shared-subscriptions.ts";
import { subscriptionMetrics } from "./subscription-metrics.ts";
import { shapeKey } from "./subscription-shape.ts";
import type { GraphQLEngine } from "./yoga.ts";

type Enveloped = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
/** What onSubscribe hands to execute/subscribe: yoga's enveloped functions, and the shape when shared. */
type Root = Enveloped & { shared?: SharedOperation };

type Extra = {
  principal: Principal | null;
  /** When the principal's secret expires (ms since the epoch; null: never). */
  expiresAtMs: number | null;
  rateKey: string;
  untrack?: () => void;
};

/**
 * A frame larger than this closes the socket (1009, by `ws`); documents between the HTTP body limit and
 * this are refused per operation. Keeps one giant frame from costing more than bounded memory.
 */
const FRAME_LIMIT_FACTOR = 4;

/** An expected failure as this operation's error; anything unexpected is rethrown (graphql-ws closes 4500). */
function operationError(error: unknown): GraphQLError[] {
  if (error instanceof GraphQLError) {
    return [
      new GraphQLError(error.message, {
        nodes: error.nodes,
        positions: error.positions,
        source: error.source,
        extensions: { code: "GRAPHQL_PARSE_FAILED", ...error.extensions },
      }),
    ];
  }
  if (isUnavailable(error)) return [serviceUnavailable()];
  throw error;
}

export function createWebSocketServer(options: {
  server: http.Server | https.Server;
  app: App;
  yoga: GraphQLEngine;
  limiter: RateLimiter;
  sockets: SocketRegistry;
}) {
  const { server, app, yoga, limiter, sockets } = options;
  const maxDocumentBytes = app.config.security.maxBodyBytes;
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    maxPayload: maxDocumentBytes * FRAME_LIMIT_FACTOR,
  });
  const shared = createSharedSubscriptions(subscriptionMetrics(metricsOf(app).registry));
  const authenticated = async (secret: string | null) => {
    try {
      return { session: await authenticateSession(app, secret), error: null };
    } catch (error) {
      return { session: null, error: operationError(error) };
    }
  };
  const graphqlWs = useServer<{ authorization?: string }, Extra>(
    {
      // yoga's enveloped execute/subscribe travel in rootValue (the graphql-ws recipe of yoga's docs).
      execute: (args) => (args.rootValue as Root).execute(args) as never,
      subscribe: (args) => {
        const root = args.rootValue as Root;
        if (!root.shared) return root.subscribe(args) as never;
        return shared.join(root.shared, () => root.subscribe(args) as never) as never;
      },
      onConnect: async (ctx) => {
        const header =
          typeof ctx.connectionParams?.authorization === "string" ? ctx.connectionParams.authorization : null;
        const secret = bearer(header);
        const { session, error } = await authenticated(secret);
        const principal = session?.principal ?? null;
        if (error) {
          // 1013 "try again later": the database is away, not the credential.
          ctx.extra.socket.close(1013, "SERVICE_UNAVAILABLE: retry shortly");
          return false;
        }
        if (!principal) {
          // 4401: graphql-ws's close code for a refused connection_init.
          ctx.extra.socket.close(
            4401,
            "UNAUTHENTICATED: connection_init needs { authorization: 'Bearer <token>' }",
          );
          return false;
        }
        ctx.extra.principal = principal;
        ctx.extra.expiresAtMs = session?.expiresAt?.getTime() ?? null;
        ctx.extra.rateKey = rateKey(header, ctx.extra.request.socket.remoteAddress);
        // Tracked so that revoking the token (or its expiry) closes this socket.
        ctx.extra.untrack = sockets.add(principal, ctx.extra.socket);
        return true;
      },
      onClose: (ctx) => ctx.extra.untrack?.(),
      onSubscribe: async (ctx, id, params) => {
        const verdict = limiter.take(ctx.extra.rateKey ?? "ws");
        if (!verdict.ok) {
          return [
            new GraphQLError(`Too many requests; retry after ${verdict.retryAfterSeconds} s`, {
              extensions: { code: "RATE_LIMITED", retryAfterSeconds: verdict.retryAfterSeconds },
            }),
          ];
        }
        if (Buffer.byteLength(params.query) > maxDocumentBytes) {
          return [
            new GraphQLError(`Document larger than ${maxDocumentBytes} bytes`, {
              extensions: { code: "PAYLOAD_TOO_LARGE" },
            }),
          ];
        }
        // The principal is cached: a revocation (any replica) closes the socket through the registry. What
        // is left to check per operation needs no database: the expiry, and a socket already closing.
        const expiresAtMs = ctx.extra.expiresAtMs ?? null;
        const expired = expiresAtMs !== null && expiresAtMs <= Date.now();
        if (expired || ctx.extra.socket.readyState !== WebSocket.OPEN) {
          // After graphql-ws has sent this operation's error (closing inside onSubscribe races it).
          setImmediate(() => ctx.extra.socket.close(CLOSE_REVOKED, "Forbidden: token revoked or expired"));
          return [new GraphQLError("Token revoked or expired", { extensions: { code: "UNAUTHENTICATED" } })];
        }
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          principal: ctx.extra.principal ?? null,
          requestId: randomUUID(),
        });
        let document: ReturnType<typeof enveloped.parse>;
        try {
          document = enveloped.parse(params.query);
        } catch (parseError) {
          return operationError(parseError);
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length) return errors;
        const shape = shapeKey({
          document,
          operationName: params.operationName,
          variables: params.variables,
          principal: ctx.extra.principal ?? null,
        });
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: {
            execute: enveloped.execute,
            subscribe: enveloped.subscribe,
            shared: shape ? { ...shape, socket: ctx.extra.socket, id } : undefined,
          } satisfies Root,
        };
      },
    },
    wss,
    app.config.wsPingIntervalMs,
  );
  return {
    async close() {
      await graphqlWs.dispose();
      shared.close();
      wss.close();
    },
  };
}
