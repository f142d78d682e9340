// The request an operation belongs to, while it executes (transport/request-id.ts opens the scope
// for every GraphQL operation): new agent commands and queued migrations take their request id from
// here, so the agent's log shows the id of the request that caused its work. Work that runs later
// (the scheduler starting a queued move) takes the id stored on its row instead.
import { AsyncLocalStorage } from "node:async_hooks";

const scope = new AsyncLocalStorage<string>();

/** The id of the request whose operation is executing here; null outside any request (workers). */
export function currentRequestId(): string | null {
  return scope.getStore() ?? null;
}

/** Runs `fn` as part of request `requestId`. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run(requestId, fn);
}

/**
 * Runs `fn` outside any request: background passes (shared/passes.ts) are often asked for from
 * inside one request, and must not give their commands and moves that request's id.
 */
export function outsideRequest<T>(fn: () => T): T {
  return scope.exit(fn);
}
