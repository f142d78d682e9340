// One execution per subscription shape (transport/subscription-shape.ts: document, operation name,
// variables, the principal's scope) on this replica, its results serialized once and written to every
// subscriber's socket with that subscriber's id. 500 operator consoles watching one migration cost one
// graphql execution and one JSON.stringify per progress sample, not 500 of each, and no promise per
// subscriber and event. Subscribers of different shapes (other variables, another role) never share.
//
// graphql-ws still owns each operation: it authenticated and rate-limited it (ws.ts onSubscribe), it
// iterates the handle returned here (which never yields: the results are written directly, in order, on
// the same socket), sends `complete` when the handle ends and `error` when it throws, and calls return()
// when the client completes or the socket closes. A slow socket never holds the others back: above
// HIGH_WATER_BYTES of unsent data its subscriber keeps only the latest result (each is the whole state)
// and is sent it when its socket drained.
import type { ExecutionResult } from "graphql";

/** The part of a `ws` WebSocket used here (tests pass fakes). */
export interface SubscriberSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
}

/** Counters for ferry_subscription_* (ws.ts registers them); labels are root field names. */
export interface SharedSubscriptionMetrics {
  /** A shared execution produced a result (once per event and shape). */
  result(field: string): void;
  /** A result was written to `count` subscribers. */
  delivered(field: string, count: number): void;
  /** A slow subscriber's older result was replaced by a newer one before it could be sent. */
  coalesced(field: string): void;
}

export interface SharedOperation {
  key: string;
  field: string;
  socket: SubscriberSocket;
  /** The graphql-ws operation id of this subscriber. */
  id: string;
}

type Source = AsyncIterable<ExecutionResult> & { return?: (value?: never) => unknown };
type Started = Source | ExecutionResult;

const OPEN = 1;
/** Unsent bytes on a socket above which its subscriber keeps only the latest result. */
export const HIGH_WATER_BYTES = 64 * 1024;
/** How often held results are retried while some socket is above the mark. */
const RETRY_MS = 50;

interface Subscriber {
  socket: SubscriberSocket;
  /** `{"id":<id>,"type":"next","payload":` */
  prefix: string;
  /** The latest result not yet sent (socket above the high-water mark). */
  held?: string;
  /** Settles graphql-ws's pending next() when the shared execution ends. */
  settle?: (end: { error?: unknown }) => void;
  end?: { error?: unknown };
}

interface Shape {
  field: string;
  subscribers: Set<Subscriber>;
  /** The latest result's payload JSON, for subscribers that join later. */
  latest?: string;
  source?: Source;
  /** The first subscriber's start() resolved to a single result (an error): every joiner gets it. */
  single?: Promise<ExecutionResult | null>;
  ended: boolean;
}

function isAsyncIterable(value: unknown): value is Source {
  return typeof (value as Source | null)?.[Symbol.asyncIterator] === "function";
}

/** graphql-ws's `next` payload: the result with errors as JSON (omitted when there are none). */
export function payloadJson(result: ExecutionResult): string {
  const { errors, ...rest } = result;
  return JSON.stringify(errors ? { ...rest, errors: errors.map((e) => e.toJSON?.() ?? e) } : rest);
}

export function createSharedSubscriptions(metrics?: SharedSubscriptionMetrics) {
  const shapes = new Map<string, Shape>();
  const congested = new Set<Subscriber>();
  let retry: NodeJS.Timeout | undefined;

  const write = (sub: Subscriber, payload: string) => sub.socket.send(`${sub.prefix}${payload}}`);

  const flushHeld = (force: boolean) => {
    for (const sub of congested) {
      if (sub.socket.readyState !== OPEN) {
        congested.delete(sub);
        continue;
      }
      if (!force && sub.socket.bufferedAmount > HIGH_WATER_BYTES) continue;
      congested.delete(sub);
      const held = sub.held;
      sub.held = undefined;
      if (held !== undefined) write(sub, held);
    }
    if (congested.size === 0 && retry) {
      clearInterval(retry);
      retry = undefined;
    }
  };

  /** Writes one result to one subscriber, or holds it when the socket is behind. True when written. */
  const deliver = (sub: Subscriber, payload: string, field: string): boolean => {
    if (sub.socket.readyState !== OPEN) return false;
    if (sub.socket.bufferedAmount > HIGH_WATER_BYTES) {
      if (sub.held !== undefined) metrics?.coalesced(field);
      sub.held = payload;
      congested.add(sub);
      retry ??= setInterval(() => flushHeld(false), RETRY_MS);
      return false;
    }
    if (sub.held !== undefined) {
      // Newer than what was held: the held one is obsolete.
      metrics?.coalesced(field);
      sub.held = undefined;
      congested.delete(sub);
    }
    write(sub, payload);
    return true;
  };

  /** `flush`: the execution ended, so a held result goes out before graphql-ws's `complete`/`error`. */
  const finish = (sub: Subscriber, end: { error?: unknown }, flush: boolean) => {
    if (sub.end) return;
    if (flush && sub.held !== undefined && sub.socket.readyState === OPEN) write(sub, sub.held);
    sub.held = undefined;
    congested.delete(sub);
    sub.end = end;
    sub.settle?.(end);
  };

  const endShape = (key: string, shape: Shape, end: { error?: unknown }) => {
    shape.ended = true;
    if (shapes.get(key) === shape) shapes.delete(key);
    for (const sub of shape.subscribers) finish(sub, end, true);
    shape.subscribers.clear();
  };

  /** The client completed the operation or its socket closed: nothing more is written to it. */
  const leave = (key: string, shape: Shape, sub: Subscriber) => {
    finish(sub, {}, false);
    shape.subscribers.delete(sub);
    if (shape.subscribers.size > 0 || shape.ended) return;
    // The last subscriber left: stop the execution (its pubsub subscription, its timers).
    shape.ended = true;
    if (shapes.get(key) === shape) shapes.delete(key);
    void Promise.resolve(shape.source?.return?.()).catch(() => {});
  };

  const pump = async (key: string, shape: Shape, source: Source) => {
    try {
      for await (const result of source) {
        if (shape.ended) break;
        const payload = payloadJson(result);
        shape.latest = payload;
        metrics?.result(shape.field);
        let sent = 0;
        for (const sub of shape.subscribers) if (deliver(sub, payload, shape.field)) sent++;
        metrics?.delivered(shape.field, sent);
      }
      endShape(key, shape, {});
    } catch (error) {
      endShape(key, shape, { error });
    }
  };

  /** The iterator graphql-ws runs for one subscriber: it only ends (done, or the execution's error). */
  const handle = (key: string, shape: Shape, sub: Subscriber): AsyncGenerator<ExecutionResult> => {
    const done = { done: true as const, value: undefined };
    const generator: AsyncGenerator<ExecutionResult> = {
      next: () =>
        new Promise((resolve, reject) => {
          const settle = (end: { error?: unknown }) => (end.error ? reject(end.error) : resolve(done));
          if (sub.end) settle(sub.end);
          else sub.settle = settle;
        }),
      return: async () => {
        leave(key, shape, sub);
        return done;
      },
      throw: async (error: unknown) => {
        leave(key, shape, sub);
        throw error;
      },
      [Symbol.asyncIterator]: () => generator,
    };
    return generator;
  };

  return {
    /**
     * Adds a subscriber to the execution of its shape, starting it (`start`: yoga's enveloped subscribe)
     * when there is none. Returns what graphql-ws iterates for this subscriber, or the single result
     * (an error) that `start` gave instead of a stream: that operation is not shared.
     */
    async join(op: SharedOperation, start: () => Promise<Started> | Started) {
      const sub: Subscriber = {
        socket: op.socket,
        prefix: `{"id":${JSON.stringify(op.id)},"type":"next","payload":`,
      };
      let shape = shapes.get(op.key);
      if (shape?.single) {
        const single = await shape.single;
        if (single) return single;
        shape = shapes.get(op.key);
      }
      if (!shape) {
        const created: Shape = { field: op.field, subscribers: new Set(), ended: false };
        shape = created;
        shapes.set(op.key, created);
        let resolveSingle!: (r: ExecutionResult | null) => void;
        created.single = new Promise((r) => (resolveSingle = r));
        let started: Started;
        try {
          started = await start();
        } catch (error) {
          if (shapes.get(op.key) === created) shapes.delete(op.key);
          resolveSingle(null);
          throw error;
        }
        created.single = undefined;
        if (!isAsyncIterable(started)) {
          if (shapes.get(op.key) === created) shapes.delete(op.key);
          resolveSingle(started);
          return started;
        }
        resolveSingle(null);
        created.source = started;
        void pump(op.key, created, started);
      }
      shape.subscribers.add(sub);
      // Its latest result is the state now: a late subscriber's first message, as its own execution's would be.
      if (shape.latest !== undefined && deliver(sub, shape.latest, shape.field)) {
        metrics?.delivered(shape.field, 1);
      }
      return handle(op.key, shape, sub);
    },
    /** Shapes executing and their subscribers (for tests and debugging). */
    stats() {
      let subscribers = 0;
      for (const shape of shapes.values()) subscribers += shape.subscribers.size;
      return { shapes: shapes.size, subscribers };
    },
    /** Ends every shared execution (server shutdown; graphql-ws has closed the sockets). */
    close() {
      for (const [key, shape] of [...shapes]) {
        endShape(key, shape, {});
        void Promise.resolve(shape.source?.return?.()).catch(() => {});
      }
      if (retry) clearInterval(retry);
      retry = undefined;
      congested.clear();
    },
  };
}

export type SharedSubscriptions = ReturnType<typeof createSharedSubscriptions>;
