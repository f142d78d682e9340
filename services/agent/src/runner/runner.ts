// Runs commands against the backend exactly once each: a command id already in the journal is
// answered from the journal (redelivery after a reconnect), never run again.

import { type HyperVBackend, HyperVError } from "../backends/types.ts";
import type { AgentCommand } from "../link/documents.ts";
import type { JournalEntry, StateStore } from "../state/store.ts";

export type CommandHandler = (payload: Record<string, unknown>, command: AgentCommand) => Promise<unknown>;

export interface RunnerOptions {
  backend: HyperVBackend;
  store: StateStore;
  handlers: Record<string, CommandHandler>;
  /** Sends an answer to the API; resolves when acknowledged. */
  answer: (entry: JournalEntry) => Promise<void>;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

export function createRunner(options: RunnerOptions) {
  const running = new Set<string>();

  async function deliver(entry: JournalEntry) {
    try {
      await options.answer(entry);
      options.store.record({ ...entry, acknowledged: true });
    } catch (error) {
      // Stays unacknowledged; the API sends the command again on reconnect and we answer then.
      options.log("answer not delivered", { commandId: entry.commandId, error: (error as Error).message });
    }
  }

  const inFlight = new Set<Promise<void>>();

  async function handle(command: AgentCommand): Promise<void> {
    const known = options.store.journal().find((e) => e.commandId === command.id);
    if (known) return deliver(known);
    if (running.has(command.id)) return;
    running.add(command.id);
    try {
      const handler = options.handlers[command.type];
      let entry: JournalEntry;
      try {
        if (!handler) throw new HyperVError("INVALID_PARAMETER", `unknown command type ${command.type}`);
        const result = await handler(command.payload ?? {}, command);
        entry = {
          commandId: command.id,
          succeeded: true,
          result: result ?? null,
          errorCode: null,
          errorMessage: null,
          acknowledged: false,
          at: new Date().toISOString(),
        };
      } catch (error) {
        const typed = error instanceof HyperVError;
        entry = {
          commandId: command.id,
          succeeded: false,
          result: typed && error.eventId ? { eventId: error.eventId } : null,
          errorCode: typed ? error.code : "UNKNOWN",
          errorMessage: error instanceof Error ? error.message : String(error),
          acknowledged: false,
          at: new Date().toISOString(),
        };
      }
      options.store.record(entry);
      await deliver(entry);
    } finally {
      running.delete(command.id);
    }
  }

  return {
    /** Runs (or re-answers) a command; never rejects: failures are logged. */
    handle(command: AgentCommand): Promise<void> {
      const work = handle(command)
        .catch((error) =>
          options.log("command handling failed", { commandId: command.id, error: (error as Error).message }),
        )
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
      return work;
    },
    /** Waits (at most `timeoutMs`) for the commands being handled, e.g. before the state folder goes away. */
    async drain(timeoutMs = 10_000): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
    },
  };
}
