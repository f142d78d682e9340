// Heavy reads take turns (issue 16 item 4). On the embedded database every statement goes through one
// connection and every resolver through one event loop: twenty dashboards executing at once put a
// trivial query, and an agent's job update, behind all of their statements. So queries whose
// estimated cost (limits.ts operationCost) reaches `minCost` execute at most `concurrency` at a time,
// first come first served; cheaper queries, mutations and subscriptions never wait here. With
// PostgreSQL (a pool of connections) the gate is off unless configured.
//
// Identical heavy queries waiting for a turn execute once (`share`): a query that arrives while the
// same document with the same variables, asked by the same principal, waits in the queue gets that
// execution's result. The waiting one has not started reading, so its answer is read after the
// newcomer arrived: as fresh as executing again, never older than a mutation the newcomer saw
// acknowledged (or anything else it saw). One that already executes is never joined: its reads may
// predate the newcomer's last mutation. Twenty consoles on the same fleet page cost one execution per
// turn instead of twenty.

import { type DocumentNode, type ExecutionResult, getOperationAST, print } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { operationCost } from "./limits.ts";

export interface ReadGateSettings {
  /** Heavy queries executing at once; 0 turns the gate off. */
  concurrency: number;
  /** Estimated cost from which a query is heavy. */
  minCost: number;
  /** Identical heavy queries of one principal waiting for a turn execute once (see above). */
  share: boolean;
}

export interface Gate {
  /** Resolves when a slot is free; call the returned function exactly once to free it. */
  acquire(): Promise<() => void>;
  waiting(): number;
}

/** A first-come-first-served semaphore. */
export function createGate(concurrency: number): Gate {
  let running = 0;
  const queue: (() => void)[] = [];
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else running--;
  };
  return {
    acquire() {
      let released = false;
      const once = () => {
        if (released) return;
        released = true;
        release();
      };
      if (running < concurrency) {
        running++;
        return Promise.resolve(once);
      }
      return new Promise((resolve) => queue.push(() => resolve(once)));
    },
    waiting: () => queue.length,
  };
}

const printed = new WeakMap<DocumentNode, string>();

/** The document's text, printed once per parsed document (yoga's parser cache reuses them). */
function documentText(document: DocumentNode): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** Who asks: results are shared only between requests of one principal (fields may depend on it). */
function principalKey(context: unknown): string {
  const p = (context as Partial<Context> | undefined)?.principal;
  if (!p) return "anonymous";
  if (p.kind === "user") return `token:${p.tokenId}`;
  if (p.kind === "agent") return `agent:${p.credentialId}`;
  return `enrollment:${p.enrollmentId}`;
}

type Execution = Promise<unknown>;

/** Each request's own result object (later plugins, error masking and metrics, may set fields on it). */
const own = (result: unknown) =>
  result && typeof result === "object" && !(Symbol.asyncIterator in result)
    ? { ...(result as ExecutionResult) }
    : result;

export function useReadGate(settings: ReadGateSettings): Plugin {
  if (settings.concurrency <= 0) return {};
  const gate = createGate(settings.concurrency);
  /** Heavy executions not started yet, by principal, document, operation and variables. */
  const waiting = new Map<string, Execution>();
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== "query") return;
      const { cost } = operationCost(
        args.schema,
        args.document,
        args.operationName,
        (args.variableValues ?? {}) as Record<string, unknown>,
      );
      if (cost < settings.minCost) return;
      setExecuteFn(async (executeArgs) => {
        const key = settings.share
          ? JSON.stringify([
              principalKey(executeArgs.contextValue),
              documentText(executeArgs.document),
              executeArgs.operationName ?? null,
              executeArgs.variableValues ?? {},
            ])
          : null;
        const queued = key === null ? undefined : waiting.get(key);
        if (queued) return own(await queued) as ExecutionResult;
        const turn = gate.acquire();
        const execution: Execution = turn.then(async (release) => {
          // Started: from here on its reads may predate a newcomer's mutation, so nobody joins.
          if (key !== null && waiting.get(key) === execution) waiting.delete(key);
          try {
            // A query's result is complete when it resolves (no @defer/@stream in this schema).
            return await executeFn(executeArgs);
          } finally {
            release();
          }
        });
        if (key !== null) waiting.set(key, execution);
        return own(await execution) as ExecutionResult;
      });
    },
  };
}
