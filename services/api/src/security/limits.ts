// Query limits for HTTP and WebSocket alike (both run through yoga's envelop): document size in
// tokens (graphql-js's own parse option), depth (GraphQL Armor's max-depth rule), optional introspection
// (graphql-js's rule), and, at execution when the variables are known, page size and cost. Errors are
// GraphQLErrors with extensions.code.
// Kept by hand, because no established plugin does it: the cost estimate, where a Relay connection's
// selections cost as many times as its `first`/`last` (variables included) and nested connections
// multiply (graphql-armor's cost-limit has fixed per-object costs), the page-size cap, and the
// well-formed-strings check PostgreSQL needs (no NUL, no unpaired surrogate).

import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import {
  BREAK,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isInterfaceType,
  isObjectType,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
  visit,
} from "graphql";
import type { Plugin } from "graphql-yoga";
import type { SecurityConfig } from "../config.ts";

/** Connections without `first`/`last` return this many items (builder.ts defaultConnectionSize). */
const DEFAULT_PAGE = 50;

function limitError(code: string, message: string) {
  return new GraphQLError(message, { extensions: { code, http: { status: 400 } } });
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) map.set(d.name.value, d);
  return map;
}

/**
 * Depth limit: GraphQL Armor's max-depth rule (fragments flattened, so spreading a fragment adds no
 * level and a fragment spread many times is measured once), reported as a validation error with our code.
 */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return maxDepthRule({
    n: maxDepth,
    flattenFragments: true,
    ignoreIntrospection: false,
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        (context as ValidationContext | null)?.reportError(
          new GraphQLError(error.message.replace(/^Syntax Error: /, ""), {
            extensions: { code: "QUERY_TOO_DEEP" },
          }),
        ),
    ],
  });
}

function intArg(value: ValueNode | undefined, variables: Record<string, unknown>): number | null {
  if (!value) return null;
  if (value.kind === Kind.INT) return Number.parseInt(value.value, 10);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === "number" ? v : null;
  }
  return null;
}

export interface CostReport {
  cost: number;
  /** The largest `first`/`last` asked for, and where. */
  largestPage: { size: number; field: string } | null;
}

/**
 * Estimated cost: every field costs 1; the selections under a connection cost as many times as the
 * page holds (`first`/`last`, default 50). Nested connections multiply.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): CostReport {
  const operation = getOperationAST(document, operationName);
  if (!operation) return { cost: 0, largestPage: null };
  const root =
    operation.operation === "query"
      ? schema.getQueryType()
      : operation.operation === "mutation"
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const fragments = fragmentsOf(document);
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  let largestPage: CostReport["largestPage"] = null;
  const cost = (s: SelectionSetNode, parent: GraphQLNamedType | null | undefined): number => {
    let total = 0;
    for (const sel of s.selections) {
      if (sel.kind === Kind.FIELD) {
        const def =
          parent && (isObjectType(parent) || isInterfaceType(parent))
            ? parent.getFields()[sel.name.value]
            : undefined;
        const type = def ? getNamedType(def.type) : null;
        let multiplier = 1;
        const first = intArg(sel.arguments?.find((a) => a.name.value === "first")?.value, variables);
        const last = intArg(sel.arguments?.find((a) => a.name.value === "last")?.value, variables);
        const page = Math.max(first ?? 0, last ?? 0);
        if (page > (largestPage?.size ?? 0)) largestPage = { size: page, field: sel.name.value };
        if (type?.name.endsWith("Connection")) multiplier = first ?? last ?? DEFAULT_PAGE;
        total += 1 + (sel.selectionSet ? Math.max(0, multiplier) * cost(sel.selectionSet, type) : 0);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        total += cost(
          sel.selectionSet,
          sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent,
        );
      } else {
        const name = sel.name.value;
        if (!memo.has(name)) {
          const fragment = fragments.get(name);
          if (!fragment || visiting.has(name)) continue;
          visiting.add(name);
          memo.set(name, cost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value)));
          visiting.delete(name);
        }
        total += memo.get(name)!;
      }
    }
    return total;
  };
  return { cost: cost(operation.selectionSet, root), largestPage };
}

/** Text the database can store: no NUL, no unpaired surrogate (both are rejected by PostgreSQL). */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function goodString(s: string): boolean {
  return !s.includes("\u0000") && !UNPAIRED_SURROGATE.test(s);
}

function wellFormedStrings(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return goodString(value);
  if (depth > 64 || value === null || typeof value !== "object") return true;
  if (Array.isArray(value)) return value.every((v) => wellFormedStrings(v, depth + 1));
  return Object.entries(value).every(([k, v]) => goodString(k) && wellFormedStrings(v, depth + 1));
}

function documentStringsWellFormed(document: DocumentNode): boolean {
  let ok = true;
  visit(document, {
    StringValue(node) {
      if (!goodString(node.value)) {
        ok = false;
        return BREAK;
      }
      return undefined;
    },
  });
  return ok;
}

/** The envelop plugin applying every limit of `config`. */
export function useQueryLimits(config: SecurityConfig): Plugin {
  const check = (args: {
    schema: GraphQLSchema;
    document: DocumentNode;
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
    contextValue?: unknown;
  }): GraphQLError | null => {
    // Anonymous callers are answered UNAUTHENTICATED (security/authentication.ts), whatever they ask.
    if (!(args.contextValue as { principal?: unknown } | undefined)?.principal) return null;
    if (!wellFormedStrings(args.variableValues) || !documentStringsWellFormed(args.document)) {
      return limitError(
        "BAD_USER_INPUT",
        "Strings must be valid Unicode without NUL characters (\\u0000 or unpaired surrogates)",
      );
    }
    const report = operationCost(args.schema, args.document, args.operationName, args.variableValues ?? {});
    if (report.largestPage && report.largestPage.size > config.maxPageSize) {
      return limitError(
        "PAGE_TOO_LARGE",
        `${report.largestPage.field}: first/last may be at most ${config.maxPageSize} (asked ${report.largestPage.size})`,
      );
    }
    if (report.cost > config.maxCost) {
      return limitError(
        "QUERY_TOO_COMPLEX",
        `Query cost ${report.cost} exceeds the limit of ${config.maxCost}; ask for smaller pages or fewer fields`,
      );
    }
    return null;
  };
  return {
    onParse({ parseFn, setParseFn }) {
      setParseFn((source, options) => {
        try {
          return parseFn(source, { ...options, maxTokens: config.maxTokens });
        } catch (error) {
          // graphql-js parses recursively: thousands of nested brackets overflow the stack first.
          if (error instanceof RangeError) {
            throw new GraphQLError("Document nested too deeply", {
              extensions: { code: "QUERY_TOO_DEEP", http: { status: 400 } },
            });
          }
          throw error;
        }
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(depthLimitRule(config.maxDepth));
      if (!config.introspection) addValidationRule(NoSchemaIntrospectionCustomRule);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
