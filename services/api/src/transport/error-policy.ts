// What a client sees of an error (yoga's maskedErrors): expected errors pass with their code, an
// unavailable database or Redis is a typed retryable SERVICE_UNAVAILABLE, everything else is masked
// as INTERNAL_SERVER_ERROR and logged.
import { GraphQLError } from "graphql";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { logExpected } from "../security/refusals.ts";

function codeOf(error: unknown): string | undefined {
  const code = (error as { extensions?: { code?: unknown } } | null)?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

// Prisma: can't reach / timed out / closed / pool timeout / too many connections.
const PRISMA_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);
// Driver adapter error kinds (Prisma 6 driver adapters) meaning the database is away.
const ADAPTER_UNAVAILABLE = new Set([
  "DatabaseNotReachable",
  "DatabaseUnavailable",
  "ConnectionClosed",
  "SocketTimeout",
  "TooManyConnections",
  "TransactionAlreadyClosed",
]);
// PostgreSQL SQLSTATEs: connection exceptions (08xxx), shutdown / cannot connect now (57P0x), statement timeout.
const SQLSTATE_UNAVAILABLE = /^(08...|57P0[1-3]|57014|53300)$/;
const NODE_UNAVAILABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
// P2028 is Prisma's "Transaction API error" for several cases; this one is the pool's wait for a connection
// (maxWait) running out before the transaction started, like P2024: nothing ran, the database is busy.
const TRANSACTION_NOT_STARTED = /unable to start a transaction in the given time/i;
const MESSAGE_UNAVAILABLE =
  /connection terminated|timeout exceeded when trying to connect|can't reach database|server closed the connection|connection is closed|query read timeout|ECONNREFUSED|Connection ended unexpectedly/i;

/** True when `error` (or one of its causes) says a dependency is unreachable, not that the request is wrong. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 6) return false;
  const e = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    originalCode?: unknown;
  };
  if (typeof e.code === "string") {
    if (PRISMA_UNAVAILABLE.has(e.code) || NODE_UNAVAILABLE.has(e.code) || SQLSTATE_UNAVAILABLE.test(e.code))
      return true;
  }
  if (e.code === "P2028" && typeof e.message === "string" && TRANSACTION_NOT_STARTED.test(e.message))
    return true;
  if (typeof e.originalCode === "string" && SQLSTATE_UNAVAILABLE.test(e.originalCode)) return true;
  if (typeof e.kind === "string" && ADAPTER_UNAVAILABLE.has(e.kind)) return true;
  if (typeof e.message === "string" && MESSAGE_UNAVAILABLE.test(e.message)) return true;
  return isUnavailable(e.cause, depth + 1);
}

/** The error every operation gets while the database (or Redis) cannot be reached or has no connection free: retry later. */
export function serviceUnavailable(): GraphQLError {
  return new GraphQLError(
    "The service is temporarily unavailable (database unreachable or busy); retry shortly",
    {
      extensions: { code: "SERVICE_UNAVAILABLE", retryable: true, http: { status: 503 } },
    },
  );
}

export function createMaskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const original = (error as { originalError?: unknown }).originalError ?? error;
    // Expected errors thrown outside mutations (bad ids in queries/subscriptions) reach the client
    // as BAD_USER_INPUT.
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
    if (isUnavailable(original)) {
      logger.warn({ err: original }, "dependency unavailable");
      const located = error instanceof GraphQLError ? error : null;
      const unavailable = serviceUnavailable();
      return new GraphQLError(unavailable.message, {
        nodes: located?.nodes,
        path: located?.path,
        extensions: unavailable.extensions,
      });
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
  };
}
