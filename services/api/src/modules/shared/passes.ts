// Background passes (the scheduler, the drain worker): one at a time per process; asks that come
// during a pass coalesce into one more pass right after it, so no change is missed and none piles up.
import type { App } from "../../context.ts";
import { outsideRequest } from "./request-scope.ts";

export interface Passes {
  /** Asks for a pass soon (coalesced). */
  run(): void;
  /** No new pass starts; resolves when the running one has ended. */
  stop(): Promise<void>;
}

export function coalescedPasses(app: App, what: string, pass: () => Promise<unknown>): Passes {
  const log = app.logger.child({ module: what });
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    // Outside the request that asked for it (if any): the pass's work is not that request's.
    running = app.inflight
      .track(outsideRequest(pass))
      .then(() => undefined)
      .catch((error) => log.error({ err: error }, `${what} pass failed`))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  return {
    run,
    async stop() {
      stopped = true;
      await running;
    },
  };
}
