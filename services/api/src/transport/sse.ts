// GraphQL over Server-Sent Events at /graphql/stream (graphql-sse, distinct connections mode: one
// HTTP request per operation, for browsers and proxies where WebSockets are blocked). Same rules as
// the WebSocket transport (ws.ts): a Bearer token per request (VIEWER or higher, checked again by the
// schema's scopes), the rate limit, the document size limit, the query limits and the error policy of
// yoga's envelop, one context per operation. Single connection mode (reserved streams) is refused.
// An open stream is tracked like a WebSocket (security/sockets.ts): revoking its token (on this
// replica at once, elsewhere or by expiry at the registry's next sweep) ends it with an
// UNAUTHENTICATED error event and `complete`.
import type http from "node:http";
import { type ExecutionArgs, GraphQLError } from "graphql";
import { createHandler, type OperationResult } from "graphql-sse";
import type { App, Principal } from "../context.ts";
import { bearer } from "../modules/auth/secrets.ts";
import { authenticate } from "../modules/auth/service.ts";
import { allowCsrf, allowRate, readBody, sendError } from "../security/http.ts";
import type { RateLimiter } from "../security/ratelimit.ts";
import type { SocketRegistry } from "../security/sockets.ts";
import { isUnavailable } from "./error-policy.ts";
import { REQUEST_ID_HEADER, requestIdFrom } from "./request-id.ts";
import type { GraphQLEngine } from "./yoga.ts";

export const SSE_PATH = "/graphql/stream";

type Enveloped = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
/** The request as graphql-sse passes it around; onSubscribe notes who is calling, for tracking. */
type Raw = { req: http.IncomingMessage; body: string; principal?: Principal };

// graphql-sse recognises a ready result by its `data` key.
const failed = (errors: readonly GraphQLError[]): OperationResult => ({ data: null, errors: [...errors] });
const errors = (message: string, code: string) =>
  failed([new GraphQLError(message, { extensions: { code } })]);

/** The last events of a stream whose token was revoked: why, then the end of the operation. */
const revokedEvents = (reason: string) =>
  `event: next\ndata: ${JSON.stringify({
    errors: [{ message: `Forbidden: ${reason}`, extensions: { code: "UNAUTHENTICATED" } }],
  })}\n\nevent: complete\ndata:\n\n`;

export function createSseHandler(options: {
  app: App;
  yoga: GraphQLEngine;
  limiter: RateLimiter;
  sockets: SocketRegistry;
}) {
  const { app, yoga, limiter, sockets } = options;
  const maxDocumentBytes = app.config.security.maxBodyBytes;
  const handler = createHandler<Raw, undefined, Record<PropertyKey, unknown>>({
    // null: never a reserved stream (single connection mode); every request is its own operation.
    authenticate: () => null,
    execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
    subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
    onSubscribe: async (request, params) => {
      const req = request.raw.req;
      const secret = bearer(request.headers.get("authorization"));
      let principal: Awaited<ReturnType<typeof authenticate>>;
      try {
        principal = await authenticate(app, secret);
      } catch (error) {
        if (isUnavailable(error)) {
          return [
            JSON.stringify({
              errors: [
                {
                  message: "Service unavailable; retry shortly",
                  extensions: { code: "SERVICE_UNAVAILABLE" },
                },
              ],
            }),
            {
              status: 503,
              statusText: "Service Unavailable",
              headers: { "content-type": "application/json" },
            },
          ];
        }
        throw error;
      }
      if (!principal) {
        return [
          JSON.stringify({
            errors: [
              {
                message: "Authentication required: send Authorization: Bearer <token>",
                extensions: { code: "UNAUTHENTICATED" },
              },
            ],
          }),
          { status: 401, statusText: "Unauthorized", headers: { "content-type": "application/json" } },
        ];
      }
      if (Buffer.byteLength(params.query as string) > maxDocumentBytes) {
        return errors(`Document larger than ${maxDocumentBytes} bytes`, "PAYLOAD_TOO_LARGE");
      }
      request.raw.principal = principal;
      const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
      const enveloped = yoga.getEnveloped({ req, params, principal, requestId });
      let document: ReturnType<typeof enveloped.parse>;
      try {
        document = enveloped.parse(params.query);
      } catch (error) {
        if (error instanceof GraphQLError) return failed([error]);
        throw error;
      }
      const validation = enveloped.validate(enveloped.schema, document);
      if (validation.length) return failed(validation);
      return {
        schema: enveloped.schema,
        operationName: params.operationName,
        document,
        variableValues: params.variables,
        contextValue: (await enveloped.contextFactory()) as unknown as Record<PropertyKey, unknown>,
        rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
      };
    },
  });

  return async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (!allowRate(limiter, req, res)) return;
    if (
      req.headers["x-graphql-event-stream-token"] ||
      url.searchParams.has("token") ||
      req.method === "PUT"
    ) {
      return sendError(
        res,
        400,
        "BAD_REQUEST",
        "Only the distinct connections mode is served: POST (or GET) one operation per request",
      );
    }
    if (!allowCsrf(req, res, url)) return;
    let body = "";
    if (req.method === "POST") {
      const read = await readBody(req, res, maxDocumentBytes);
      if (!read) return;
      body = read.toString("utf8");
    }
    const raw: Raw = { req, body };
    const [responseBody, init] = await handler({
      method: req.method ?? "GET",
      url: req.url ?? SSE_PATH,
      headers: {
        get(key: string) {
          const header = req.headers[key];
          return Array.isArray(header) ? header.join("\n") : header;
        },
      },
      body: () => body,
      raw,
      context: undefined,
    });
    res.writeHead(init.status, init.statusText, init.headers as http.OutgoingHttpHeaders);
    if (!responseBody || typeof responseBody === "string") return void res.end(responseBody);
    const stop = () => void responseBody.return(undefined);
    res.once("close", stop);
    let revoked: string | null = null;
    const untrack = raw.principal
      ? sockets.add(raw.principal, {
          close: (_code, reason) => {
            revoked = reason.replace(/^Forbidden: /, "");
            stop();
          },
        })
      : () => {};
    try {
      for await (const chunk of responseBody) {
        if (!res.writable) break;
        await new Promise<void>((resolve, reject) =>
          res.write(chunk, (err) => (err ? reject(err) : resolve())),
        );
      }
    } finally {
      untrack();
      res.off("close", stop);
      if (revoked !== null && res.writable) res.write(revokedEvents(revoked));
      res.end();
    }
  };
}
