// Relay global ids ("Host:<uuid>", base64): decoding with a clear error for the wrong kind.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { GraphQLObjectType, type GraphQLResolveInfo, type GraphQLSchema } from "graphql";
import { getDatamodel } from "../../generated/pothos-types.ts";
import { ValidationError } from "./errors.ts";

/** The database id inside a global id of `typename`; ValidationError naming `field` otherwise. */
export function decodeId(typename: string, id: string, field: string): string {
  try {
    const decoded = decodeGlobalID(id);
    if (decoded.typename === typename && decoded.id) return decoded.id;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError(field, `not a ${typename} id: ${JSON.stringify(id).slice(0, 80)}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Database ids are UUIDs; anything else can be answered "not found" without asking the database. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

// node(id:) and nodes(ids:) (issue 12 item 9): a well-formed id of a missing object is null, as the
// schema promises; an id of a type that has no nodes, or whose key is not of its type's shape
// (UUID or integer), is a ValidationError (BAD_USER_INPUT), never a masked internal error.

type NodeId = { typename: string; id: string };

const INTEGER_KEY = /^\d{1,19}$/;

function keyKind(schema: GraphQLSchema, typename: string): "uuid" | "integer" | null {
  const type = schema.getType(typename);
  if (!(type instanceof GraphQLObjectType) || !type.getInterfaces().some((i) => i.name === "Node"))
    return null;
  const model = (type.extensions as { pothosPrismaModel?: string }).pothosPrismaModel ?? typename;
  const models = getDatamodel().datamodel.models as unknown as Record<
    string,
    { fields: { isId: boolean; type: string }[] }
  >;
  const key = models[model]?.fields.find((f) => f.isId);
  return key?.type === "BigInt" || key?.type === "Int" ? "integer" : "uuid";
}

/** Throws a ValidationError naming `field` unless `id` can name an object of a node type. */
export function checkNodeId(schema: GraphQLSchema, id: NodeId, field: string): void {
  const kind = keyKind(schema, id.typename);
  if (!kind)
    throw new ValidationError(field, `no object has ids of type ${JSON.stringify(id.typename).slice(0, 60)}`);
  const ok = kind === "uuid" ? isUuid(id.id) : INTEGER_KEY.test(id.id) && BigInt(id.id) < 2n ** 63n;
  if (!ok) throw new ValidationError(field, `not a ${id.typename} id: ${JSON.stringify(id.id).slice(0, 80)}`);
}

/** Prisma's "record not found" (findUniqueOrThrow), which for node(id:) means null. */
function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === "P2025";
}

type Load = (ids: NodeId[]) => unknown;

/** The relay plugin's `nodeQueryOptions.resolve`: null for a missing object. */
export async function resolveNodeOrNull(
  _root: unknown,
  args: { id: NodeId },
  _ctx: unknown,
  info: GraphQLResolveInfo,
  load: Load,
): Promise<unknown> {
  checkNodeId(info.schema, args.id, "id");
  try {
    return await load([args.id]);
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * The relay plugin's `nodesQueryOptions.resolve`: null in the place of each missing object. The
 * plugin's loader reads `args.ids` when called, so each id is loaded on its own.
 */
export async function resolveNodesOrNull(
  _root: unknown,
  args: { ids: NodeId[] },
  _ctx: unknown,
  info: GraphQLResolveInfo,
  load: Load,
): Promise<unknown[]> {
  const ids = args.ids;
  ids.forEach((id, i) => void checkNodeId(info.schema, id, `ids[${i}]`));
  const loads = ids.map((id) => {
    args.ids = [id];
    return Promise.resolve(load([id])) as Promise<unknown[]>;
  });
  args.ids = ids;
  return Promise.all(
    loads.map((p) =>
      p.then(
        (nodes) => nodes[0] ?? null,
        (error: unknown) => {
          if (isNotFound(error)) return null;
          throw error;
        },
      ),
    ),
  );
}
