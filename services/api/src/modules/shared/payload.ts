// Mutation payloads: `{ <result fields>, errors: [Error!] }`. Expected failures (AppError) become
// typed entries in `errors`; anything else is unexpected and masked by yoga. Every call is audited.
import type { FieldMap, ObjectFieldBuilder } from "@pothos/core";
import { builder, type Types } from "../../builder.ts";
import type { Context } from "../../context.ts";
import { recordAudit } from "../audit/service.ts";
import { AppError, ConflictError, NotFoundError, ValidationError } from "./errors.ts";

export const ErrorInterface = builder.interfaceRef<AppError>("Error").implement({
  description: "Every expected mutation failure implements this; see the concrete types for details.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "What went wrong, for a human." }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "A referenced object does not exist (or is not visible to you).",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof NotFoundError,
  fields: (t) => ({
    ref: t.exposeString("ref", { description: "The id or name that was not found." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "An input value is invalid; nothing was changed.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ValidationError,
  fields: (t) => ({
    field: t.exposeString("field", { description: "Path of the offending input field, e.g. input.subnet." }),
  }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The change conflicts with the current state (already used, already running...).",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ConflictError,
});

export interface MutationOutcome<T> {
  data: T | null;
  errors: AppError[] | null;
}

/**
 * Runs a mutation's work, turning AppErrors into payload errors, and records one audit entry
 * whatever the outcome. Unexpected errors are audited as FAILED and rethrown (yoga masks them).
 */
export async function runMutation<T>(
  ctx: Context,
  audit: { operation: string; target?: string | null; input?: unknown },
  work: () => Promise<T>,
): Promise<MutationOutcome<T>> {
  try {
    const data = await work();
    await recordAudit(ctx, { ...audit, outcome: "SUCCEEDED" });
    return { data, errors: null };
  } catch (error) {
    const expected = error instanceof AppError;
    await recordAudit(ctx, {
      ...audit,
      outcome: "FAILED",
      errorCode: expected ? error.name : "INTERNAL",
      errorMessage: expected ? error.message : "unexpected error",
    });
    if (expected) return { data: null, errors: [error] };
    throw error;
  }
}

/**
 * Declares a payload type `name` whose result fields come from `fields` (reading `data`, null on
 * failure) plus the `errors` list every payload has.
 */
export function payloadType<T>(
  name: string,
  description: string,
  fields: (t: PayloadFieldBuilder<T>) => FieldMap,
) {
  const ref = builder.objectRef<MutationOutcome<T>>(name);
  ref.implement({
    description,
    fields: (t) => ({
      ...fields(t),
      errors: t.field({
        type: [ErrorInterface],
        nullable: true,
        description: "Why the mutation did not happen; null on success.",
        resolve: (p) => p.errors,
      }),
    }),
  });
  return ref;
}

export type PayloadFieldBuilder<T> = ObjectFieldBuilder<Types, MutationOutcome<T>>;
