import type { ExecutionResult } from "graphql";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { createSharedSubscriptions, HIGH_WATER_BYTES, payloadJson } from "./shared-subscriptions.ts";

/** A subscription source the test pushes results into; counts how often it was started and stopped. */
function source() {
  const queue: ExecutionResult[] = [];
  let wake: (() => void) | null = null;
  let ended: { error?: unknown } | null = null;
  const state = { returned: 0 };
  const iterator: AsyncGenerator<ExecutionResult> = {
    async next() {
      while (!queue.length && !ended) await new Promise<void>((r) => (wake = r));
      if (queue.length) return { done: false, value: queue.shift()! };
      if (ended?.error) throw ended.error;
      return { done: true, value: undefined };
    },
    async return() {
      state.returned++;
      ended ??= {};
      wake?.();
      return { done: true, value: undefined };
    },
    async throw(e) {
      throw e;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return {
    iterator,
    state,
    push(percent: number) {
      queue.push({ data: { migrationProgress: { id: "M1", percentComplete: percent } } });
      wake?.();
    },
    end(error?: unknown) {
      ended = { error };
      wake?.();
    },
  };
}

function socket() {
  return {
    readyState: 1,
    bufferedAmount: 0,
    sent: [] as string[],
    send(d: string) {
      this.sent.push(d);
    },
  };
}

const percents = (s: ReturnType<typeof socket>) =>
  s.sent.map(
    (m) =>
      (JSON.parse(m) as { payload: { data: { migrationProgress: { percentComplete: number } } } }).payload
        .data.migrationProgress.percentComplete,
  );
const settle = () => new Promise((r) => setTimeout(r, 5));

describe("shared subscriptions", () => {
  it("one execution per shape: every subscriber gets the same payload with its own id", async () => {
    const hub = createSharedSubscriptions();
    const src = source();
    let started = 0;
    const start = () => {
      started++;
      return src.iterator;
    };
    const sockets = [socket(), socket(), socket()];
    await Promise.all(
      sockets.map((s, i) => hub.join({ key: "k", field: "f", socket: s, id: `op${i}` }, start)),
    );
    expect(started).toBe(1);
    src.push(1);
    src.push(2);
    await settle();
    expect(sockets.map(percents)).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(JSON.parse(sockets[2]!.sent[0]!)).toEqual({
      id: "op2",
      type: "next",
      payload: { data: { migrationProgress: { id: "M1", percentComplete: 1 } } },
    });
    expect(hub.stats()).toEqual({ shapes: 1, subscribers: 3 });
  });

  it("another key starts its own execution", async () => {
    const hub = createSharedSubscriptions();
    const a = source();
    const b = source();
    const sa = socket();
    const sb = socket();
    await hub.join({ key: "a", field: "f", socket: sa, id: "1" }, () => a.iterator);
    await hub.join({ key: "b", field: "f", socket: sb, id: "1" }, () => b.iterator);
    a.push(10);
    b.push(20);
    await settle();
    expect([percents(sa), percents(sb)]).toEqual([[10], [20]]);
  });

  it("a late subscriber gets the latest result first, then only later ones (each write counted once)", async () => {
    const counted = { results: 0, delivered: 0 };
    const hub = createSharedSubscriptions({
      result: () => counted.results++,
      delivered: (_f, n) => (counted.delivered += n),
      coalesced: () => {},
    });
    const src = source();
    const first = socket();
    await hub.join({ key: "k", field: "f", socket: first, id: "1" }, () => src.iterator);
    src.push(1);
    src.push(2);
    await settle();
    const late = socket();
    await hub.join({ key: "k", field: "f", socket: late, id: "1" }, () => {
      throw new Error("must not start again");
    });
    src.push(3);
    await settle();
    expect(percents(first)).toEqual([1, 2, 3]);
    expect(percents(late)).toEqual([2, 3]);
    expect(counted).toEqual({ results: 3, delivered: 5 });
  });

  it("one subscriber leaving keeps the others; the last one stops the execution; the next starts anew", async () => {
    const hub = createSharedSubscriptions();
    const src = source();
    const [s1, s2] = [socket(), socket()];
    const h1 = (await hub.join(
      { key: "k", field: "f", socket: s1, id: "1" },
      () => src.iterator,
    )) as AsyncGenerator;
    const h2 = (await hub.join(
      { key: "k", field: "f", socket: s2, id: "1" },
      () => src.iterator,
    )) as AsyncGenerator;
    const pending1 = h1.next();
    src.push(1);
    await settle();
    expect(await h1.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await pending1).toEqual({ done: true, value: undefined });
    src.push(2);
    await settle();
    expect([percents(s1), percents(s2)]).toEqual([[1], [1, 2]]);
    expect(src.state.returned).toBe(0);
    await h2.return(undefined);
    expect(src.state.returned).toBe(1);
    expect(hub.stats()).toEqual({ shapes: 0, subscribers: 0 });
    const again = source();
    let started = 0;
    await hub.join({ key: "k", field: "f", socket: socket(), id: "1" }, () => {
      started++;
      return again.iterator;
    });
    expect(started).toBe(1);
  });

  it("the end and the error of the execution reach every subscriber", async () => {
    const hub = createSharedSubscriptions();
    const src = source();
    const hs = await Promise.all(
      [socket(), socket()].map((s) =>
        hub.join({ key: "k", field: "f", socket: s, id: "1" }, () => src.iterator),
      ),
    );
    const nexts = hs.map((h) => (h as AsyncGenerator).next());
    src.end();
    expect(await Promise.all(nexts)).toEqual([
      { done: true, value: undefined },
      { done: true, value: undefined },
    ]);
    const failing = source();
    const h = (await hub.join(
      { key: "k", field: "f", socket: socket(), id: "1" },
      () => failing.iterator,
    )) as AsyncGenerator;
    const next = h.next();
    failing.end(new Error("database away"));
    await expect(next).rejects.toThrow("database away");
  });

  it("a single result instead of a stream (an error) goes to that subscriber and is not shared", async () => {
    const hub = createSharedSubscriptions();
    const error = { errors: [new GraphQLError("Forbidden")] };
    let started = 0;
    const start = () => {
      started++;
      return error;
    };
    expect(await hub.join({ key: "k", field: "f", socket: socket(), id: "1" }, start)).toBe(error);
    expect(await hub.join({ key: "k", field: "f", socket: socket(), id: "2" }, start)).toBe(error);
    expect(started).toBe(2);
    expect(hub.stats().shapes).toBe(0);
    expect(payloadJson(error)).toBe('{"errors":[{"message":"Forbidden"}]}');
  });

  it("a slow socket keeps only the latest result and is sent it when drained; fast ones are not held back", async () => {
    const hub = createSharedSubscriptions();
    const src = source();
    const [fast, slow] = [socket(), socket()];
    await hub.join({ key: "k", field: "f", socket: fast, id: "1" }, () => src.iterator);
    await hub.join({ key: "k", field: "f", socket: slow, id: "1" }, () => src.iterator);
    src.push(1);
    await settle();
    slow.bufferedAmount = HIGH_WATER_BYTES + 1;
    for (const p of [2, 3, 4]) src.push(p);
    await settle();
    expect(percents(fast)).toEqual([1, 2, 3, 4]);
    expect(percents(slow)).toEqual([1]);
    slow.bufferedAmount = 0;
    await new Promise((r) => setTimeout(r, 120));
    expect(percents(slow)).toEqual([1, 4]);
    // Held at the end: sent before the end is signalled (graphql-ws then sends `complete`).
    slow.bufferedAmount = HIGH_WATER_BYTES + 1;
    src.push(5);
    await settle();
    src.end();
    await settle();
    expect(percents(slow)).toEqual([1, 4, 5]);
    hub.close();
  });
});
