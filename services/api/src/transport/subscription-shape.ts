// Which WebSocket subscriptions may share one execution (transport/shared-subscriptions.ts), and the key
// that says they would compute the same result. Pure: no I/O, no state.
import { type DocumentNode, getOperationAST, Kind, print } from "graphql";
import type { Principal } from "../context.ts";

/**
 * Root subscription fields whose every emission is the whole current state of one object and whose first
 * emission is that state now (migrationProgress: "Emits the migration on every progress sample and state
 * change"). A subscriber that joins a running shared execution is sent its latest emission first: what
 * its own execution would have read. A field that emits events (hostEvents: one message per stored event)
 * must not be listed: a late subscriber would be sent an event from before it subscribed.
 */
export const SNAPSHOT_FIELDS: ReadonlySet<string> = new Set(["migrationProgress"]);

/** The one root field of a subscription operation when it is shareable; null otherwise (executed alone). */
export function sharedRootField(document: DocumentNode, operationName?: string | null): string | null {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== "subscription") return null;
  const selections = operation.selectionSet.selections;
  // A fragment at the root, or several fields (invalid for a subscription), are not worth resolving here.
  if (selections.length !== 1 || selections[0]?.kind !== Kind.FIELD) return null;
  const name = selections[0].name.value;
  return SNAPSHOT_FIELDS.has(name) ? name : null;
}

/**
 * What a resolver may read of the principal, as a string: a user's role (authScopes read nothing else of
 * a user), an agent's own credential and host, an enrollment's own id. Two principals with the same scope
 * get the same answer to the same operation; any other difference would have to be added here.
 */
export function authorizationScope(principal: Principal | null): string {
  if (!principal) return "anonymous";
  if (principal.kind === "user") return `user:${principal.role}`;
  if (principal.kind === "agent") return `agent:${principal.credentialId}:${principal.hostId}`;
  return `enrollment:${principal.enrollmentId}`;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` give the same text. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
}

/**
 * The key of an operation's shape: everything its result depends on (the document as printed, so spacing
 * and comments do not matter; the operation name; the variables; the principal's scope). Null when the
 * operation is not shareable.
 */
export function shapeKey(operation: {
  document: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  principal: Principal | null;
}): { key: string; field: string } | null {
  const field = sharedRootField(operation.document, operation.operationName);
  if (!field) return null;
  const key = [
    authorizationScope(operation.principal),
    operation.operationName ?? "",
    stableJson(operation.variables ?? {}),
    print(operation.document),
  ].join("\n");
  return { key, field };
}
