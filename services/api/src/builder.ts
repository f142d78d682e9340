// The one Pothos builder: context, scalars, plugins, root types.
// Expected mutation failures have one mechanism: the payload's `errors: [Error!]` list
// (modules/shared/payload.ts). @pothos/plugin-errors was registered but never used; it models errors as a
// union result per field (`Success | NotFoundError`), a different public shape than the payloads every
// client reads today, so it was removed rather than adopted (issue 11 item 4). Scalars: DateTime and
// JSON come from graphql-scalars; BigInt stays ours (see below).
import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import { GraphQLError, Kind } from "graphql";
import { DateTimeResolver, JSONResolver } from "graphql-scalars";
import type { Context } from "./context.ts";
import { forbidden } from "./errors.ts";
import type PrismaTypes from "./generated/pothos-types.ts";
import { getDatamodel } from "./generated/pothos-types.ts";
import { parseDateTime } from "./modules/shared/dates.ts";
import { resolveNodeOrNull, resolveNodesOrNull } from "./modules/shared/ids.ts";

export interface AuthScopes {
  /** VIEWER, OPERATOR or ADMIN token. */
  viewer: boolean;
  /** OPERATOR or ADMIN. */
  operator: boolean;
  admin: boolean;
  /** An enrolled agent's credential. */
  agent: boolean;
  /** A single-use enrollment token, good for enrollAgent only. */
  enrollment: boolean;
}

export interface SchemaTypes {
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  Connection: { totalCount: number | (() => number | Promise<number>) };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    BigInt: { Input: bigint; Output: bigint | number | string };
    JSON: { Input: unknown; Output: unknown };
  };
}

/** The resolved type parameter of the builder, for helpers that take field builders. */
export type Types = PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>;

export const builder = new SchemaBuilder<SchemaTypes>({
  plugins: [ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, context, info) => {
      const error = forbidden(`Forbidden: your role may not use ${info.parentType.name}.${info.fieldName}`);
      // A denied mutation call is audited too (the audit module listens; app.ts wires it). Its listener
      // records synchronously; the write is awaited before the response (security/authentication.ts).
      if (info.parentType === info.schema.getMutationType()) {
        void context.app.hooks.emit("mutationDenied", context, info, error);
      }
      return error;
    },
    authScopes: (ctx) => {
      const p = ctx.principal;
      const role = p?.kind === "user" ? p.role : null;
      return {
        viewer: role === "VIEWER" || role === "OPERATOR" || role === "ADMIN",
        operator: role === "OPERATOR" || role === "ADMIN",
        admin: role === "ADMIN",
        agent: p?.kind === "agent",
        enrollment: p?.kind === "enrollment",
      };
    },
  },
  prisma: {
    client: (ctx) => ctx.app.db.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "production" ? null : "warn",
    maxConnectionSize: 500,
    defaultConnectionSize: 50,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: {
      description: "Any object by its opaque global id; null when it does not exist.",
      authScopes: { viewer: true },
      resolve: resolveNodeOrNull as never,
    },
    nodesQueryOptions: {
      description: "Objects by their opaque global ids, null where not found.",
      authScopes: { viewer: true },
      resolve: resolveNodesOrNull as never,
    },
    nodeTypeOptions: { description: "An object with an opaque global id (Relay)." },
    idFieldOptions: { description: "Opaque global id; use it with node(id:) and as a mutation argument." },
    pageInfoTypeOptions: { description: "Where a page sits in the whole list (Relay)." },
    hasNextPageFieldOptions: { description: "More items after this page." },
    hasPreviousPageFieldOptions: { description: "More items before this page." },
    startCursorFieldOptions: { description: "Cursor of the first item of the page." },
    endCursorFieldOptions: { description: "Cursor of the last item; pass it as `after` for the next page." },
    edgesFieldOptions: { description: "The items of this page with their cursors." },
    pageInfoFieldOptions: { description: "Paging information." },
    cursorFieldOptions: { description: "Opaque position of this item, for `after`/`before`." },
    nodeFieldOptions: { description: "The item." },
    defaultEdgeTypeOptions: { description: "An item of a page, with its cursor." },
    defaultConnectionTypeOptions: { description: "A page of items (Relay connection)." },
  },
});

builder.queryType({
  description: "Reads. Every field needs a token; inventory needs the VIEWER role or higher.",
});
builder.mutationType({ description: "Changes. Every call is authorized and audited." });
builder.subscriptionType({ description: "Live updates over graphql-ws on /graphql." });

builder.globalConnectionField("totalCount", (t) =>
  t.int({
    description: "Number of items matching the filter, across all pages.",
    resolve: (parent) => (typeof parent.totalCount === "function" ? parent.totalCount() : parent.totalCount),
  }),
);

/**
 * The instant's syntax is graphql-scalars' DateTime (RFC 3339 with an offset; it refuses what
 * `new Date()` would guess at, like "Dec 1 2026"); its range is PostgreSQL's, so a date the database
 * cannot store is the client's mistake (a typed error), not an internal one.
 */
function storable(read: () => unknown): Date {
  let date: unknown;
  try {
    date = read();
  } catch {
    date = null;
  }
  const checked = parseDateTime(date instanceof Date ? date.toISOString() : null);
  if (typeof checked === "string") {
    throw new GraphQLError(
      "DateTime must be an RFC 3339 instant with a time zone between 0001-01-01 and 9999-12-31 (UTC), e.g. 2026-11-25T17:55:55Z",
    );
  }
  return checked;
}

builder.scalarType("DateTime", {
  description: "An instant, RFC 3339 / ISO 8601 with a time zone (e.g. 2026-11-25T17:55:55.000Z).",
  // A valid Date (every database value) straight to its ISO text: the same text as the general path.
  serialize: (value) =>
    value instanceof Date && !Number.isNaN(value.getTime())
      ? value.toISOString()
      : new Date(DateTimeResolver.serialize(value) as Date | string).toISOString(),
  parseValue: (value) => storable(() => DateTimeResolver.parseValue(value)),
  parseLiteral: (ast) => storable(() => DateTimeResolver.parseLiteral(ast, {})),
});

// BigInt stays hand-written: the contract serializes 64-bit integers as decimal strings (JSON numbers
// lose precision above 2^53), and graphql-scalars' BigInt serializes them as numbers.
function toBigInt(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw new GraphQLError("BigInt must be an integer, as a decimal string or a safe integer number");
}

builder.scalarType("BigInt", {
  description:
    "A 64-bit integer (bytes, counts), serialized as a decimal string; accepts a string or a safe integer.",
  serialize: (value) => toBigInt(value).toString(),
  parseValue: toBigInt,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT)
      throw new GraphQLError("BigInt must be an integer");
    return toBigInt(ast.value);
  },
});

builder.scalarType("JSON", {
  description: "Arbitrary JSON (agent protocol payloads and audit inputs).",
  serialize: JSONResolver.serialize,
  parseValue: JSONResolver.parseValue,
  parseLiteral: JSONResolver.parseLiteral,
});
