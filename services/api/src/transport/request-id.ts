// One request id follows a request from the HTTP request through the agent commands it causes and
// back: the caller's X-Request-Id (or a new UUID, returned in the response's X-Request-Id), the
// GraphQL context's requestId, and, while an operation executes, the request scope from which new
// commands and queued migrations take it (modules/shared/request-scope.ts).
// Work that runs later (the scheduler's start of a queued move) takes the id stored on its row.
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { principalName } from "../context.ts";
import { withRequestId } from "../modules/shared/request-scope.ts";

export const REQUEST_ID_HEADER = "x-request-id";

/** Printable ASCII without spaces, at most 100 characters: anything else is replaced by a new id. */
const VALID = /^[\x21-\x7e]{1,100}$/;

/** The caller's request id when it is acceptable, else a new UUID. */
export function requestIdFrom(header: string | string[] | null | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && VALID.test(value) ? value : randomUUID();
}

/**
 * Gives an HTTP request its id before anything reads it: the header is set to the accepted (or new)
 * value, so yoga's context takes the same one, and the response says which id was used.
 */
export function assignRequestId(req: http.IncomingMessage, res: http.ServerResponse): string {
  const id = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader("X-Request-Id", id);
  return id;
}

/**
 * Executes every operation (HTTP, WebSocket, SSE) inside its request's scope, and logs each mutation
 * with its request id: info for people's and integrations' tokens, debug for agents' routine reports.
 */
export function useRequestScope(): Plugin<Context> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as Context;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === "mutation") {
        const fields = operation.selectionSet.selections.flatMap((s) =>
          s.kind === "Field" ? [s.name.value] : [],
        );
        const level = ctx.principal?.kind === "agent" ? "debug" : "info";
        ctx.app.logger[level](
          { requestId: ctx.requestId, operation: fields.join(","), principal: principalName(ctx.principal) },
          "mutation",
        );
      }
      setExecuteFn((a) => withRequestId(ctx.requestId, () => executeFn(a)));
    },
  };
}
