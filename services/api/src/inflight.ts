// Work in progress that shutdown must let finish (HTTP requests, subscription clean-ups) before the
// database closes; otherwise their queries race the disconnect and can wedge the connection pool.
export interface Inflight {
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves when nothing is in flight, or after `timeoutMs` (returns how many were left). */
  drain(timeoutMs: number): Promise<number>;
}

export function createInflight(): Inflight {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      pending.add(work);
      const done = () => pending.delete(work);
      work.then(done, done);
      return work;
    },
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) {
        await Promise.race([
          Promise.allSettled([...pending]),
          new Promise((r) => setTimeout(r, deadline - Date.now())),
        ]);
      }
      return pending.size;
    },
  };
}

/** `work`, or `fallback` when it takes longer than `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms))),
  ]).finally(() => clearTimeout(timer));
}
