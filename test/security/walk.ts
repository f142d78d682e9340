// Builds one syntactically valid operation per root field of the printed schema.graphql, with
// minimal arguments (required ones only) and a minimal selection, for the root-field walk.
import fs from "node:fs";
import path from "node:path";
import {
  buildSchema,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
} from "graphql";

export const FAKE_ID = Buffer.from("Host:00000000-0000-4000-8000-000000000000").toString("base64");

export function printedSchema(): GraphQLSchema {
  return buildSchema(fs.readFileSync(path.resolve(import.meta.dirname, "../../schema.graphql"), "utf8"));
}

/** A literal for a required value of `type`. */
export function literal(type: GraphQLInputType, depth = 0): string {
  if (isNonNullType(type)) return literal(type.ofType, depth);
  if (isListType(type)) return `[${literal(type.ofType, depth)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    if (depth > 5) return "{}";
    const fields = Object.values(type.getFields()).filter(
      (f) => isNonNullType(f.type) && f.defaultValue === undefined,
    );
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, depth + 1)}`).join(", ")} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case "ID":
        return JSON.stringify(FAKE_ID);
      case "Int":
        return "1";
      case "Float":
        return "1.5";
      case "Boolean":
        return "false";
      case "DateTime":
        return '"2026-01-01T00:00:00.000Z"';
      case "BigInt":
        return '"1"';
      case "JSON":
        return "{}";
      default:
        return '"x"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

export interface RootOperation {
  root: "Query" | "Mutation" | "Subscription";
  field: string;
  document: string;
}

function operationFor(root: RootOperation["root"], field: GraphQLField<unknown, unknown>): string {
  const args = field.args
    .filter((a) => isNonNullType(a.type) && a.defaultValue === undefined)
    .map((a) => `${a.name}: ${literal(a.type)}`);
  const selection = isLeafType(getNamedType(field.type)) ? "" : " { __typename }";
  const keyword = root === "Query" ? "query" : root === "Mutation" ? "mutation" : "subscription";
  return `${keyword} Walk { ${field.name}${args.length ? `(${args.join(", ")})` : ""}${selection} }`;
}

export function rootOperations(schema = printedSchema()): RootOperation[] {
  const ops: RootOperation[] = [];
  for (const [root, type] of [
    ["Query", schema.getQueryType()],
    ["Mutation", schema.getMutationType()],
    ["Subscription", schema.getSubscriptionType()],
  ] as const) {
    if (!type) continue;
    for (const field of Object.values(type.getFields()))
      ops.push({ root, field: field.name, document: operationFor(root, field) });
  }
  return ops;
}
