// `vms` pages executed by a compiled query (issue 16 item 1). graphql-js builds, resolves and completes
// each of a 500-VM page's ~9,000 field values one by one (a ResolveInfo, a path and a completion per
// value, a promise per VM for its async global id); graphql-jit compiles an operation once into a
// function that reads the same resolvers' values straight into the result. Only queries whose every
// root field is `vms` take it: the same Pothos resolvers run (authorization, cursors, the SQL page),
// every other yoga plugin wraps it as it wraps the standard executor, and anything it might answer
// differently keeps the standard executor (see `compilable`). vms-compiled.test.ts checks the answers
// are byte for byte the standard executor's.
import {
  BREAK,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  getOperationAST,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
import { type CompiledQuery, compileQuery, isCompiledQuery } from "graphql-jit";
import type { Plugin } from "graphql-yoga";

/**
 * Fields with a resolver that the compiled shape may select: all synchronous (a promise would make the
 * standard executor put that field after its siblings, graphql-jit keeps the selection's order). The
 * VM's scalar fields have no resolver (the row's value); `VirtualMachine.id` is made synchronous
 * (ids.ts), and `... on Node { id }` under `vms` can only be a VM's (validation refuses a Node fragment
 * where no Node can be); `Query.vms` is the one root field.
 */
const SYNC_RESOLVED = new Set([
  "Query.vms",
  "VirtualMachineConnection.edges",
  "VirtualMachineConnection.pageInfo",
  "VirtualMachineEdge.node",
  "VirtualMachine.id",
  "Node.id",
]);

/**
 * The `vms` page shape: a query with one root selection, `vms`, selecting below it only fields without a
 * resolver, the synchronous ones above and `__typename` (no totalCount, no relation: their resolvers may
 * be async), with no directive anywhere (graphql-jit's @skip/@include on fragments differs from
 * graphql-js in corner cases). Fragments and aliases are fine. Everything else keeps the standard
 * executor.
 */
export function compilable(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode | null | undefined,
  document: DocumentNode,
): boolean {
  if (operation?.operation !== "query") return false;
  const roots = operation.selectionSet.selections;
  const root = roots[0];
  if (roots.length !== 1 || root?.kind !== Kind.FIELD || root.name.value !== "vms") return false;
  const typeInfo = new TypeInfo(schema);
  let plain = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Directive() {
        plain = false;
        return BREAK;
      },
      Field(node) {
        if (node.name.value === "__typename") return;
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field || (field.resolve && !SYNC_RESOLVED.has(`${parent.name}.${node.name.value}`))) {
          plain = false;
          return BREAK;
        }
      },
    }),
  );
  return plain;
}

/** Executes `args` with its compiled query, or answers null when the standard executor should. */
type Compiled = (args: ExecutionArgs) => Promise<ExecutionResult | null> | ExecutionResult | null;

function compile(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): Compiled {
  const operation = getOperationAST(document, operationName);
  if (!operation || !compilable(schema, operation, document)) return () => null;
  let query: CompiledQuery;
  try {
    const compiled = compileQuery(schema, document, operationName ?? undefined);
    if (!isCompiledQuery(compiled)) return () => null;
    query = compiled;
  } catch {
    return () => null;
  }
  const definitions = operation.variableDefinitions ?? [];
  return (args) => {
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    // A bad variable is answered by the standard executor, in its words.
    if (definitions.length && getVariableValues(args.schema, definitions, variables).errors) return null;
    let result: Promise<ExecutionResult> | ExecutionResult;
    try {
      result = query.query(args.rootValue, args.contextValue, variables) as
        | Promise<ExecutionResult>
        | ExecutionResult;
    } catch {
      return null; // graphql-jit's own failure (resolvers' errors are results): the standard executor answers
    }
    return isPromise(result) ? result.then(withoutErrors, () => null) : withoutErrors(result);
  };
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as Promise<T>)?.then === "function";

/**
 * A result with errors (a bad cursor, a role that may not read VMs) is not used: graphql-jit words and
 * orders them differently (no `locations`, `data` before `errors`), and such answers are rare, so the
 * standard executor answers them (a read: running it again changes nothing).
 */
const withoutErrors = (result: ExecutionResult): ExecutionResult | null =>
  result.errors?.length ? null : result;

/**
 * Yoga plugin: queries of `vms` pages execute their compiled query. List it before every plugin that
 * wraps execution (authentication, request scope, read gate), so they wrap the compiled one too.
 * Compiled queries are kept per parsed document (yoga's parse cache hands the same document for the
 * same text; a document it drops is dropped here too).
 */
export function useCompiledVmsPages(options: { onCompiledExecution?: () => void } = {}): Plugin {
  const cache = new WeakMap<DocumentNode, Map<string, Compiled>>();
  const compiledFor = (args: ExecutionArgs): Compiled => {
    let byName = cache.get(args.document);
    if (!byName) {
      byName = new Map();
      cache.set(args.document, byName);
    }
    const key = args.operationName ?? "";
    let compiled = byName.get(key);
    if (!compiled) {
      compiled = compile(args.schema, args.document, args.operationName);
      byName.set(key, compiled);
    }
    return compiled;
  };
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn((args) => {
        const compiled = compiledFor(args)(args);
        const settle = (result: ExecutionResult | null) => {
          if (result === null) return executeFn(args);
          options.onCompiledExecution?.();
          return result;
        };
        return isPromise(compiled) ? compiled.then(settle) : settle(compiled);
      });
    },
  };
}
