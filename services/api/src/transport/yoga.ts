// The GraphQL engine for HTTP and WebSocket alike: schema, error policy, limits, authentication, GraphiQL.
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { createYoga } from "graphql-yoga";
import type { App, Context, Principal } from "../context.ts";
import { bearer } from "../modules/auth/secrets.ts";
import { authenticateCached } from "../modules/auth/service.ts";
import { metricsPlugins } from "../modules/metrics/plugin.ts";
import { useCompiledVmsPages } from "../modules/vms/compiled.ts";
import { schema } from "../schema.ts";
import { useAuthentication } from "../security/authentication.ts";
import { useQueryLimits } from "../security/limits.ts";
import { useReadGate } from "../security/read-gate.ts";
import { yogaLogger } from "../security/refusals.ts";
import { createMaskError } from "./error-policy.ts";
import { REQUEST_ID_HEADER, requestIdFrom, useRequestScope } from "./request-id.ts";

/** What the WebSocket server passes to yoga (HTTP requests have neither: yoga authenticates them). */
export interface ServerContext {
  principal?: Principal | null;
  requestId?: string;
}

export const GRAPHQL_PATH = "/graphql";

export interface GraphQLOptions {
  /** `vms` pages by their compiled query (modules/vms/compiled.ts); off only to compare with it. */
  compiledPages?: boolean;
  /** Called for each operation the compiled query executed (tests). */
  onCompiledExecution?: () => void;
}

export function createGraphQL(app: App, options: GraphQLOptions = {}) {
  const security = app.config.security;
  return createYoga<ServerContext>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    // GraphiQL needs introspection; with it switched off there is no GraphiQL either. Its scripts and
    // styles come inlined from the installed @graphql-yoga/render-graphiql package: no CDN, works offline.
    graphiql: security.introspection ? { subscriptionsProtocol: "WS", title: "Ferry" } : false,
    renderGraphiQL,
    multipart: false,
    batching: false,
    // The body limit is enforced before yoga (security/http.ts readBody: FERRY_MAX_BODY_BYTES, 413
    // PAYLOAD_TOO_LARGE), which hands yoga the body already read; yoga's own limit (25 MB) then re-streamed
    // every request's body through a TransformStream pipeline and an AbortController, ≈5 % of the API's CPU
    // for a `vms` page (issue 16 profile). WebSocket operations have no body (ws.ts limits the document).
    maxRequestBodySize: false,
    logging: yogaLogger(app.logger.child({ module: "yoga" })),
    maskedErrors: { maskError: createMaskError(app.logger) },
    context: async ({ request, principal, requestId }): Promise<Context> => ({
      app,
      principal:
        principal !== undefined
          ? principal
          : await authenticateCached(app, bearer(request?.headers.get("authorization"))),
      requestId: requestId ?? requestIdFrom(request?.headers.get(REQUEST_ID_HEADER)),
    }),
    plugins: [
      // First: the plugins after it wrap whichever executor it picks.
      ...(options.compiledPages === false
        ? []
        : [useCompiledVmsPages({ onCompiledExecution: options.onCompiledExecution })]),
      useQueryLimits(security),
      useAuthentication(),
      useRequestScope(),
      ...metricsPlugins(app),
      // Last: a query waits for its turn after it was authorized and checked, just before it executes.
      useReadGate(security.readGate),
    ],
  });
}

export type GraphQLEngine = ReturnType<typeof createGraphQL>;
