// Expected refusals (UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED) and client mistakes (BAD_USER_INPUT)
// are logged as what they are: one info line with the code, the field and the message, no stack
// trace. Only unexpected errors are logged as errors. yoga logs every error whose masked form
// differs from the original; `yogaLogger` drops those lines for errors already logged here.
import type { GraphQLError } from "graphql";
import type { Logger } from "../logger.ts";

const REFUSALS = new Set(["UNAUTHENTICATED", "FORBIDDEN", "RATE_LIMITED"]);
const handled = new WeakSet<object>();

/** Logs an expected error once (info, no stack) and marks it so yoga does not log it again. */
export function logExpected(logger: Logger, error: unknown, answer: GraphQLError): void {
  if (error && typeof error === "object") handled.add(error);
  const code = answer.extensions?.code;
  logger.info(
    { code, path: answer.path?.join(".") ?? null, message: answer.message.slice(0, 300) },
    REFUSALS.has(String(code)) ? "request refused" : "client error",
  );
}

/** The logger yoga gets: the app's, minus the lines of errors `logExpected` already logged. */
export function yogaLogger(logger: Logger) {
  const to =
    (level: "debug" | "info" | "warn" | "error") =>
    (...args: unknown[]) =>
      (logger[level] as (...a: unknown[]) => void).apply(logger, args);
  const error = to("error");
  return {
    debug: to("debug"),
    info: to("info"),
    warn: to("warn"),
    error: (...args: unknown[]) => {
      const first = args[0];
      if (!(first && typeof first === "object" && handled.has(first))) error(...args);
    },
  };
}
