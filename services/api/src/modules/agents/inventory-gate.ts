// How many inventory reports one App stores at once; the others wait their turn, in order of arrival.
// 2,000 agents reporting at once (every agent after an API restart) otherwise all ask the pool for a
// connection together, three times each (read the hash, read the VMs other hosts hold, store): every
// report waits behind every other one, all of them finish near the end of the burst, late enough for
// the agents to give up (30 s), and the pool is too busy for anything else (an agent's connect, a
// console). In turn, the first reports are answered at once and the pool keeps room for the rest.

export interface Gate {
  /** Runs `work` in turn; rejects with WaitedTooLong when its turn came more than maxWaitMs late. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Reports waiting for their turn now. */
  waiting(): number;
}

/** A report's turn came after its agent stopped waiting for the answer: refused, never run. */
export class WaitedTooLong extends Error {
  override readonly name = "WaitedTooLong";
  constructor(readonly waitedMs: number) {
    super(`waited ${Math.round(waitedMs)} ms for its turn`);
  }
}

interface Waiter {
  since: number;
  go(): void;
  refuse(error: Error): void;
}

export function createGate(limit: number, maxWaitMs = Number.POSITIVE_INFINITY): Gate {
  let active = 0;
  const queue: Waiter[] = [];
  // The slot passes to the next in line still worth running (active unchanged), or is freed. Those
  // that waited too long are refused on the way: their agent gave up (and sends the report again), so
  // running them would only push everyone behind them past their own timeout too.
  const next = () => {
    for (let w = queue.shift(); w; w = queue.shift()) {
      const waited = performance.now() - w.since;
      if (waited <= maxWaitMs) return w.go();
      w.refuse(new WaitedTooLong(waited));
    }
    active--;
  };
  return {
    async run(work) {
      if (active < limit) active++;
      else await new Promise<void>((go, refuse) => queue.push({ since: performance.now(), go, refuse }));
      try {
        return await work();
      } finally {
        next();
      }
    },
    waiting: () => queue.length,
  };
}

/** Half the pool for reports (at least one): the other half stays free for everything else. */
export function reportSlots(poolSize: number): number {
  return Math.max(1, Math.floor(poolSize / 2));
}
