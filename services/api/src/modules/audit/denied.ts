// What a denied mutation call asked for, read from the resolver info (scope-auth's unauthorizedError
// gets no arguments): the audit entry of a denied call carries its input like an allowed one.
import { type GraphQLResolveInfo, getArgumentValues } from "graphql";

export { recordDenied } from "./service.ts";

export function deniedInput(info: GraphQLResolveInfo): Record<string, unknown> | null {
  const field = info.parentType.getFields()[info.fieldName];
  const node = info.fieldNodes[0];
  if (!field || !node) return null;
  try {
    return getArgumentValues(field, node, info.variableValues);
  } catch {
    return null;
  }
}

/** A best guess of what the call acted on: an id, a host, a VM or a name among the arguments. */
export function targetOf(args: Record<string, unknown> | null): string | null {
  if (!args) return null;
  const input = (args.input ?? {}) as Record<string, unknown>;
  for (const v of [
    args.id,
    args.host,
    args.hosts,
    input.id,
    input.vm,
    input.hosts,
    input.hostName,
    input.name,
  ]) {
    if (typeof v === "string") return v.slice(0, 200);
    if (Array.isArray(v) && v.length) return v.map(String).join(",").slice(0, 200);
  }
  return null;
}
