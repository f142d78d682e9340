// The real graphql-ws client, collecting a subscription's events for assertions.
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export function wsClient(apiUrl: string, token: string): Client {
  return createClient({
    url: `${apiUrl.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
  });
}

export interface Collected<T> {
  events: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves with the first event (already received or future) that matches. */
  next(match: (event: T) => boolean, timeoutMs?: number): Promise<T>;
  stop(): void;
}

export function collect<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Collected<T> {
  const waiters: { match: (e: T) => boolean; resolve: (e: T) => void }[] = [];
  const state: Collected<T> = {
    events: [],
    errors: [],
    completed: false,
    next(match, timeoutMs = 60_000) {
      const found = state.events.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no matching event within ${timeoutMs} ms; got ${JSON.stringify(state.events).slice(0, 2000)} errors ${JSON.stringify(state.errors)}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    stop: () => unsubscribe(),
  };
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) state.errors.push(...result.errors);
        if (!result.data) return;
        const event = result.data as T;
        state.events.push(event);
        for (const w of [...waiters]) {
          if (w.match(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      },
      error: (error) => state.errors.push(error),
      complete: () => (state.completed = true),
    },
  );
  return state;
}
