// Heavy reads take turns (issue 16 item 4). On the embedded database every statement goes through one
// connection and every resolver through one event loop: twenty dashboards executing at once put a
// trivial query, and an agent's job update, behind all of their statements. So queries whose
// estimated cost (limits.ts operationCost) reaches `minCost` execute at most `concurrency` at a time,
// first come first served; cheaper queries, mutations and subscriptions never wait here. With
// PostgreSQL (a pool of connections) the gate is off unless configured.

import { getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { operationCost } from "./limits.ts";

export interface ReadGateSettings {
  /** Heavy queries executing at once; 0 turns the gate off. */
  concurrency: number;
  /** Estimated cost from which a query is heavy. */
  minCost: number;
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

export function useReadGate(settings: ReadGateSettings): Plugin {
  if (settings.concurrency <= 0) return {};
  const gate = createGate(settings.concurrency);
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
        const release = await gate.acquire();
        try {
          // A query's result is complete when it resolves (no @defer/@stream in this schema).
          return await executeFn(executeArgs);
        } finally {
          release();
        }
      });
    },
  };
}
