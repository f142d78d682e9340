// Expected failures (the foundation every domain builds on). Mutations return them in their payload's `errors` list (typed, documented);
// authentication and authorization failures are GraphQLErrors with extensions.code.
import { GraphQLError } from "graphql";

/** Base of every error a client may see in a payload's `errors`. */
export class AppError extends Error {
  override readonly name: string = "AppError";
}

export class NotFoundError extends AppError {
  override readonly name = "NotFoundError";
  constructor(
    readonly what: string,
    readonly ref: string,
  ) {
    super(`${what} not found: ${ref}`);
  }
}

export class ValidationError extends AppError {
  override readonly name = "ValidationError";
  constructor(
    /** Path of the offending input field, e.g. "input.subnet". */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class ConflictError extends AppError {
  override readonly name = "ConflictError";
}

export function unauthenticated(message = "Authentication required: send Authorization: Bearer <token>") {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

export function forbidden(message: string) {
  return new GraphQLError(message, { extensions: { code: "FORBIDDEN", http: { status: 403 } } });
}

/** Too much at once for this request now (not an outage): the client sends it again shortly. */
export function busy(message: string) {
  return new GraphQLError(message, {
    extensions: { code: "SERVICE_UNAVAILABLE", retryable: true, http: { status: 503 } },
  });
}
