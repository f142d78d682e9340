// The event pump (Get-WinEvent): tails Microsoft-Windows-Hyper-V-VMMS-Admin through the backend and
// reports new records to the API in order. The API's bookmark (the highest record id it stored for
// this host) is the only position: the pump asks for it on every (re)connect and continues after
// it, and the API ignores records it already has. So a restart of the agent (or of the API's
// replica) neither loses nor duplicates events, and no local state can drift from the database.
import { type EventWire, eventReportSchema, ReportEventsDocument, toWire } from "@ferry/protocol";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import type { HostEvent, HyperVBackend } from "../backends/types.ts";
import { accepted } from "../link/link.ts";

/** Records per report (the API accepts at most 500). */
export const EVENT_BATCH = 200;

export interface EventPumpOptions {
  backend: HyperVBackend;
  /** Sends a GraphQL request over the agent's link; rejects when not connected. */
  request: <R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V>,
    variables: V,
  ) => Promise<R>;
  /** How often to look for new records (default 2 s). */
  intervalMs?: number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /** New records were reported: something changed on the host (e.g. read the inventory). */
  onEvents?: (events: HostEvent[]) => void;
}

export interface EventPump {
  /** Forget the position and ask the API again (after a reconnect); then pump at once. */
  reset(): void;
  /** Pump now (e.g. after a command that logs events); resolves when caught up or failed. */
  kick(): Promise<void>;
  stop(): Promise<void>;
}

export function createEventPump(options: EventPumpOptions): EventPump {
  let bookmark: number | null | undefined; // undefined: not known yet, ask the API
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let lastError: string | null = null;

  async function report(events: EventWire[]): Promise<number | null> {
    const result = await options.request(ReportEventsDocument, { input: { events } });
    const payload = accepted("agentReportEvents", result.agentReportEvents);
    return payload.bookmark === null ? null : Number(payload.bookmark);
  }

  async function pumpOnce() {
    while (!stopped) {
      if (bookmark === undefined) bookmark = await report([]);
      const events = await options.backend.readEvents(bookmark, EVENT_BATCH);
      if (events.length === 0) return;
      // Checked with the API's schema before sending: a record it would refuse stops here, named.
      const wire = eventReportSchema.safeParse(toWire(events));
      if (!wire.success)
        throw new Error(`events do not match the protocol: ${wire.error.issues[0]?.message}`);
      bookmark = await report(events);
      options.onEvents?.(events);
      if (events.length < EVENT_BATCH) return;
    }
  }

  function kick(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await pumpOnce();
        } while (again && !stopped);
        lastError = null;
      } catch (error) {
        // Not connected or refused: the position is re-read from the API next time.
        bookmark = undefined;
        const message = (error as Error).message;
        if (message !== lastError) options.log("event report failed", { error: message });
        lastError = message;
      } finally {
        running = null;
      }
    })();
    return running;
  }

  const timer = setInterval(() => void kick(), options.intervalMs ?? 2000);
  timer.unref?.();

  return {
    reset() {
      bookmark = undefined;
      void kick();
    },
    kick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
