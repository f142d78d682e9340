// The API's own background work, read from its /metrics: inventory reaction batches (drift, readiness and
// events after agents' reports, inventory-reactions.ts) and readiness sweeps (every host about once a
// minute, signals/readiness.ts). A measured phase that overlaps them shares the API's CPU with them; the
// benchmarks say how much of it ran during each phase, so a tail can be read against it.
import { ADMIN_TOKEN } from "./api.ts";
import { sleep } from "./stats.ts";

export interface ApiWork {
  /** Hosts reacted to, the batches they came in, and the batches' total time (s). */
  reactionHosts: number;
  reactionBatches: number;
  reactionSeconds: number;
  /** Readiness sweeps of every host, and their total time (s). */
  sweeps: number;
  sweepSeconds: number;
}

/** The counters now (a sample of the API's Prometheus text). */
export async function apiWork(url: string): Promise<ApiWork> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const text = await res.text();
  // Unlabelled metrics are printed from the start (0): a missing one was renamed, and reading it as 0 would
  // end read's wait at once and report no work.
  const value = (name: string) => {
    const found = new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1];
    if (found === undefined) throw new Error(`the API's /metrics has no ${name}`);
    return Number(found);
  };
  return {
    reactionHosts: value("ferry_inventory_reactions_total"),
    reactionBatches: value("ferry_inventory_reaction_batch_seconds_count"),
    reactionSeconds: value("ferry_inventory_reaction_batch_seconds_sum"),
    sweeps: value("ferry_readiness_sweep_seconds_count"),
    sweepSeconds: value("ferry_readiness_sweep_seconds_sum"),
  };
}

/** What ended between two samples. */
export function workBetween(before: ApiWork, after: ApiWork): ApiWork {
  return {
    reactionHosts: after.reactionHosts - before.reactionHosts,
    reactionBatches: after.reactionBatches - before.reactionBatches,
    reactionSeconds: after.reactionSeconds - before.reactionSeconds,
    sweeps: after.sweeps - before.sweeps,
    sweepSeconds: after.sweepSeconds - before.sweepSeconds,
  };
}

/** One line for the output: "2 reaction batches (40 hosts, 0.3 s), 1 readiness sweep (1.2 s)". */
export function describeWork(work: ApiWork): string {
  const batches = `${work.reactionBatches} inventory reaction batch${work.reactionBatches === 1 ? "" : "es"} (${work.reactionHosts} hosts, ${work.reactionSeconds.toFixed(1)} s)`;
  const sweeps = `${work.sweeps} readiness sweep${work.sweeps === 1 ? "" : "s"} (${work.sweepSeconds.toFixed(1)} s)`;
  return `${batches}, ${sweeps}`;
}

/** No inventory reaction batch ended for this long: the previous phases' reactions are done. */
export const REACTIONS_SETTLED_MS = 5000;

/**
 * Waits until no inventory reaction batch has ended for REACTIONS_SETTLED_MS (the counters of
 * ferry_inventory_reactions_total and ferry_inventory_reaction_batch_seconds stop moving), at most
 * `maxMs`; what ended meanwhile is returned. A batch still running without a sign is what quietProcess,
 * after it, catches (a batch uses the CPU).
 */
export async function reactionsSettled(url: string, maxMs = 180_000) {
  const start = performance.now();
  const first = await apiWork(url);
  let last = first;
  let movedAt = start;
  while (performance.now() - movedAt < REACTIONS_SETTLED_MS && performance.now() - start < maxMs) {
    await sleep(500);
    const now = await apiWork(url);
    if (now.reactionHosts !== last.reactionHosts || now.reactionBatches !== last.reactionBatches)
      movedAt = performance.now();
    last = now;
  }
  const ended = workBetween(first, last);
  return {
    waitedSeconds: (performance.now() - start) / 1000,
    timedOut: performance.now() - movedAt < REACTIONS_SETTLED_MS,
    hosts: ended.reactionHosts,
    batches: ended.reactionBatches,
    seconds: ended.reactionSeconds,
  };
}
