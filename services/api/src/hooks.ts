// App-scoped reactions between domains (a domain reacts to another's event without importing it).
// Listeners are registered by the composition root (app.ts) on one App, never by importing a file, so
// two Apps in one process (tests, replicas) never see each other's events.

export type EventMap = Record<string, unknown[]>;
type Listener<A extends unknown[]> = (...args: A) => void | Promise<void>;

export interface Hooks<E extends EventMap> {
  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(name: K, listener: Listener<E[K]>): () => void;
  /**
   * Runs the listeners of `name` in registration order, each awaited. A listener that throws is
   * reported to `onError` and the others still run: an event's emitter never fails for a reaction.
   */
  emit<K extends keyof E>(name: K, ...args: E[K]): Promise<void>;
}

export function createHooks<E extends EventMap>(onError: (error: unknown, name: keyof E) => void): Hooks<E> {
  // One list per event; each list only ever holds listeners of its own event's arguments.
  const listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};
  return {
    on(name, listener) {
      const list = listeners[name] ?? [];
      listeners[name] = list;
      list.push(listener);
      return () => {
        const i = list.indexOf(listener);
        if (i >= 0) list.splice(i, 1);
      };
    },
    async emit(name, ...args) {
      for (const listener of [...(listeners[name] ?? [])]) {
        try {
          await listener(...args);
        } catch (error) {
          onError(error, name);
        }
      }
    },
  };
}
