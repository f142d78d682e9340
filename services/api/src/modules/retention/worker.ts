// The retention worker: one pass soon after start, then one every interval (passes never overlap).
// Started and stopped with the other workers by the composition root (app.ts). Several replicas may
// run it at once: deletes are idempotent.
import type { App } from "../../context.ts";
import { pruneOnce } from "./prune.ts";

/** The first pass waits at most this long after start (not during boot, not an hour later). */
const FIRST_PASS_MAX_DELAY_MS = 60_000;

export function startRetention(app: App): { stop(): Promise<void> } {
  const settings = app.config.retention;
  const logger = app.logger.child({ module: "retention" });
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const pass = async () => {
    try {
      const deleted = await pruneOnce(app.db.prisma, settings, new Date(), { stopped: () => stopped });
      if (Object.values(deleted).some((n) => n > 0)) logger.info({ deleted }, "retention pass");
    } catch (err) {
      logger.warn({ err }, "retention pass failed; retrying at the next interval");
    }
  };
  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().finally(() => {
        running = null;
        schedule(settings.intervalMs);
      });
    }, delayMs);
    timer.unref();
  };
  schedule(Math.min(settings.intervalMs, FIRST_PASS_MAX_DELAY_MS));

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
