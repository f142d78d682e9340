// Runs commands against the backend exactly once each: a command id already in the journal is
// answered from the journal (redelivery after a reconnect), never run again. Every command is
// validated against the protocol's schemas first; one that does not parse is answered FAILED.
import {
  type AgentCommand,
  CommandParseError,
  type CommandsSubscription,
  isExpired,
  parseCommand,
} from "@ferry/protocol";
import { type HyperVBackend, HyperVError } from "../backends/types.ts";
import { childLog, type LogFn } from "../log/child.ts";
import type { JournalEntry, StateStore } from "../state/store.ts";
import { CommandRefusedError } from "./errors.ts";
import type { Handlers } from "./handlers/index.ts";

/** A command as the subscription delivers it (not validated yet). */
export type ReceivedCommand = CommandsSubscription["agentCommands"];

export interface RunnerOptions {
  backend: HyperVBackend;
  store: StateStore;
  handlers: Handlers;
  /** Sends an answer to the API; resolves when acknowledged, rejects when refused or not delivered. */
  answer: (entry: JournalEntry) => Promise<void>;
  /**
   * Whether this agent already started the command's work before (e.g. a START_MOVE whose move it
   * wrote ahead): such a command is resumed even past its deadline, never refused.
   */
  resumes?: (command: AgentCommand) => boolean;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  now?: () => number;
}

/** Calls the handler of the command's type (the map is keyed by the same union, checked at compile time). */
function dispatch(handlers: Handlers, command: AgentCommand): Promise<unknown> {
  const handler = handlers[command.type] as (payload: unknown, command: AgentCommand) => Promise<unknown>;
  return handler(command.payload, command);
}

export function createRunner(options: RunnerOptions) {
  const running = new Set<string>();

  async function deliver(entry: JournalEntry, log: LogFn) {
    try {
      await options.answer(entry);
      options.store.record({ ...entry, acknowledged: true });
      log("command answered", { succeeded: entry.succeeded, errorCode: entry.errorCode });
    } catch (error) {
      // Stays unacknowledged; the API sends the command again on reconnect and we answer then.
      log("answer not delivered", { error: (error as Error).message });
    }
  }

  /** The log lines of one command carry its id, type, migration and the API request that caused it. */
  const logOf = (received: ReceivedCommand) =>
    childLog(options.log, {
      commandId: received.id,
      type: received.type,
      migrationId: received.migrationId ?? null,
      requestId: received.requestId ?? null,
    });

  const inFlight = new Set<Promise<void>>();

  async function handle(received: ReceivedCommand): Promise<void> {
    const log = logOf(received);
    const known = options.store.journal().find((e) => e.commandId === received.id);
    if (known) return deliver(known, log);
    if (running.has(received.id)) return;
    running.add(received.id);
    log("command received");
    try {
      let entry: JournalEntry;
      try {
        const command = parseCommand(received);
        if (isExpired(command, (options.now ?? Date.now)()) && !options.resumes?.(command)) {
          throw new CommandRefusedError(
            "COMMAND_EXPIRED",
            `the command's deadline ${command.expiresAt} passed before it was started; not run`,
          );
        }
        const result = await dispatch(options.handlers, command);
        entry = {
          commandId: received.id,
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
          commandId: received.id,
          succeeded: false,
          result: typed && error.eventId ? { eventId: error.eventId } : null,
          errorCode: typed
            ? error.code
            : error instanceof CommandRefusedError
              ? error.code
              : error instanceof CommandParseError
                ? "INVALID_PARAMETER"
                : "UNKNOWN",
          errorMessage: error instanceof Error ? error.message : String(error),
          acknowledged: false,
          at: new Date().toISOString(),
        };
      }
      if (!entry.succeeded) {
        log("command failed", { errorCode: entry.errorCode, error: entry.errorMessage });
      }
      options.store.record(entry);
      await deliver(entry, log);
    } finally {
      running.delete(received.id);
    }
  }

  return {
    /** Runs (or re-answers) a command; never rejects: failures are logged. */
    handle(command: ReceivedCommand): Promise<void> {
      const work = handle(command)
        .catch((error) => logOf(command)("command handling failed", { error: (error as Error).message }))
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
