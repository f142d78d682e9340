// Other domains' reactions to inventory reports (drift, readiness: the inventoryIngested listeners)
// run after the report is answered, in batches: a report is stored and committed, answered, and its
// host joins the next batch. A worker of app.ts (one per App) gathers the hosts for a moment
// (FERRY_INVENTORY_REACTION_DELAY_MS) and emits one inventoryIngested for all of them, so 2,000 agents
// reporting at once (every agent after an API restart) cost a few readiness evaluations, not 2,000
// answers each waiting for the reactions of the reports before it.
//
// Order: one batch at a time per App. Every reaction reads the rows as they are when it runs, after the
// reports of its batch were committed; a report stored while a batch runs joins the next batch, so a
// host's last reaction always reads its last report (an older reaction never writes last).
// Faults: a batch that was still waiting when the API died is lost. What it would have done happens
// anyway: drift at the next start (start() recomputes every profiled host's drift, cheap and linear),
// and the readiness signal at the readiness sweep (every host about once a minute, signals/readiness.ts)
// and at the agent's reconnect (a presence change queues its host here). Readiness itself is computed
// on every read, never stale.
import type { App, IngestBatch } from "../../context.ts";

/** Hosts per batch at most (an `IN` list and one readiness transaction chunk stay bounded). */
const MAX_BATCH = 1000;

export interface InventoryReactions {
  /** Queues the reactions to `hostId`'s report (or presence change); `significant` is OR-ed in. */
  queue(hostId: string, significant: boolean): void;
  /** The start-up catch-up: every profiled host's drift (a batch lost with a dead process). */
  start(): void;
  /** Waits for the running batch, then runs what is queued; later reports react at once (tracked). */
  stop(): Promise<void>;
}

// Per App, set by createInventoryReactions (the composition root), read by ingestInventory.
const queues = new WeakMap<App, InventoryReactions>();

/**
 * Queues the reactions to a stored report of `hostId` (`significant`: more than telemetry changed, or
 * the agent connected or left: readiness may have changed). An App without the worker (never built by
 * app.ts) reacts at once, in the background (tracked).
 */
export function queueInventoryReactions(app: App, hostId: string, significant: boolean): void {
  const queue = queues.get(app);
  if (queue) queue.queue(hostId, significant);
  else void react(app, { hostIds: [hostId], significant: significant ? [hostId] : [] });
}

/** One batch: the listeners in registration order (hooks.ts logs a listener's failure), then metrics. */
function react(app: App, batch: IngestBatch): Promise<void> {
  const started = performance.now();
  return app.inflight.track(
    app.hooks.emit("inventoryIngested", app, batch).then(() =>
      app.hooks.emit("inventoryReacted", {
        hosts: batch.hostIds?.length ?? 0,
        seconds: (performance.now() - started) / 1000,
      }),
    ),
  );
}

/** The worker: built by app.ts (nothing runs until a report is queued or start() is called). */
export function createInventoryReactions(app: App, delayMs: number): InventoryReactions {
  let pending = new Map<string, boolean>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let stopped = false;
  /** start()'s catch-up of every host is due (runs as a batch of its own). */
  let everyHost = false;

  const run = (batch: IngestBatch) => {
    running = react(app, batch).finally(() => {
      running = null;
      arm();
    });
  };
  const flush = () => {
    timer = undefined;
    if (running) return;
    if (everyHost) {
      everyHost = false;
      return run({ hostIds: null, significant: [] });
    }
    if (pending.size === 0) return;
    const entries = [...pending].slice(0, MAX_BATCH);
    if (entries.length === pending.size) pending = new Map();
    else for (const [id] of entries) pending.delete(id);
    run({
      hostIds: entries.map(([id]) => id),
      significant: entries.filter(([, significant]) => significant).map(([id]) => id),
    });
  };
  // The next batch starts `delayMs` after the first report it holds, never while one runs.
  function arm() {
    if (timer || running || (pending.size === 0 && !everyHost)) return;
    if (stopped) return flush();
    timer = setTimeout(flush, delayMs);
  }

  const reactions: InventoryReactions = {
    queue(hostId, significant) {
      pending.set(hostId, pending.get(hostId) === true || significant);
      arm();
    },
    start() {
      everyHost = true;
      arm();
    },
    async stop() {
      stopped = true;
      everyHost = false;
      clearTimeout(timer);
      timer = undefined;
      while (running || pending.size > 0) {
        if (!running) flush();
        await running;
      }
    },
  };
  queues.set(app, reactions);
  return reactions;
}
