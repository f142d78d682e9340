// Mutation payloads: `{ <result fields>, errors: [Error!] }`. Expected failures (AppError) become
// typed entries in `errors`; anything else is unexpected and masked by yoga. Every call is audited;
// a call that changes Ferry's database writes its entry in the transaction of that change (AuditIn).
import type { FieldMap, ObjectFieldBuilder } from "@pothos/core";
import { builder, type Types } from "../../builder.ts";
import type { Context } from "../../context.ts";
import { type AuditIn, AuditWriteError, recordAudit, recordIn } from "../audit/service.ts";
import { AppError, ConflictError, NotFoundError, ValidationError } from "./errors.ts";

/**
 * What an `errors` entry is at run time: a plain copy of the AppError. (graphql-js treats a resolver
 * value that is an Error instance as a thrown error, so the instances themselves cannot be returned.)
 */
export type ErrorShape = AppError & { __kind: string };

export function errorShape(error: AppError): ErrorShape {
  return { ...error, message: error.message, name: error.name, __kind: error.name } as ErrorShape;
}

/** isTypeOf for an error object type registered for class `name`. */
export const isError = (name: string) => (value: unknown) => (value as ErrorShape).__kind === name;

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
  isTypeOf: isError("NotFoundError"),
  fields: (t) => ({
    ref: t.exposeString("ref", { description: "The id or name that was not found." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "An input value is invalid; nothing was changed.",
  interfaces: [ErrorInterface],
  isTypeOf: isError("ValidationError"),
  fields: (t) => ({
    field: t.exposeString("field", { description: "Path of the offending input field, e.g. input.subnet." }),
  }),
});

builder.objectType(ConflictError, {
  name: "ConflictError",
  description: "The change conflicts with the current state (already used, already running...).",
  interfaces: [ErrorInterface],
  isTypeOf: isError("ConflictError"),
});

export interface MutationOutcome<T> {
  data: T | null;
  errors: AppError[] | null;
}

/**
 * Runs a mutation's work, turning AppErrors into payload errors, and records one audit entry
 * whatever the outcome. `work` gets the call's AuditIn: every change it makes to Ferry's database
 * commits in a transaction that also calls it, so the change and its entry commit together (or
 * neither: AuditWriteError, a retryable SERVICE_UNAVAILABLE). A call that changed nothing (refused,
 * repeated) gets its entry afterwards. Unexpected errors are audited as FAILED and rethrown (yoga
 * masks them).
 */
export async function runMutation<T>(
  ctx: Context,
  audit: { operation: string; target?: string | null; input?: unknown },
  work: (auditIn: AuditIn) => Promise<T>,
): Promise<MutationOutcome<T>> {
  try {
    const data = await work((tx) => recordIn(tx, ctx, audit));
    await recordAudit(ctx, { ...audit, outcome: "SUCCEEDED" });
    return { data, errors: null };
  } catch (error) {
    const expected = error instanceof AppError;
    await recordAudit(ctx, {
      ...audit,
      outcome: "FAILED",
      errorCode: expected ? error.name : error instanceof AuditWriteError ? "AUDIT_WRITE_FAILED" : "INTERNAL",
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
        resolve: (p) => p.errors?.map(errorShape) ?? null,
      }),
    }),
  });
  return ref;
}

export type PayloadFieldBuilder<T> = ObjectFieldBuilder<Types, MutationOutcome<T>>;
