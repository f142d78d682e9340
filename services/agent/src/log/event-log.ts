// The Windows Application event log, where Windows admins (and their monitoring) look: the agent's
// important events under the source "Ferry Agent". Written with eventcreate.exe through the injectable
// CommandRunner (eventcreate registers the source on first use; the service runs as LocalSystem).
import type { CommandRunner } from "../windows/commands.ts";

export const EVENT_SOURCE = "Ferry Agent";

export type EventType = "INFORMATION" | "WARNING" | "ERROR";

export interface EventLogEntry {
  type: EventType;
  /** eventcreate accepts 1..1000. */
  id: number;
  message: string;
}

export interface EventLogWriter {
  write(entry: EventLogEntry): Promise<void>;
}

/** Important log messages and the event each becomes; other messages stay in the log file only. */
export const IMPORTANT_EVENTS: Record<string, { type: EventType; id: number }> = {
  started: { type: "INFORMATION", id: 100 },
  enrolled: { type: "INFORMATION", id: 101 },
  stopped: { type: "INFORMATION", id: 102 },
  "disconnected for long": { type: "WARNING", id: 200 },
  "command failed": { type: "ERROR", id: 300 },
  "command handling failed": { type: "ERROR", id: 301 },
  fatal: { type: "ERROR", id: 302 },
};

const MAX_MESSAGE = 900;

/** The eventcreate.exe argument list for one entry (the message is one argument; no shell parses it). */
export function eventcreateArgs(entry: EventLogEntry): string[] {
  const message = entry.message
    .replace(/[\r\n]+/g, " ")
    .replace(/"/g, "'")
    .slice(0, MAX_MESSAGE);
  return ["/L", "APPLICATION", "/SO", EVENT_SOURCE, "/T", entry.type, "/ID", String(entry.id), "/D", message];
}

/** Writes entries one at a time, in order; a failure is reported once to `onError` and never thrown. */
export function eventcreateWriter(runner: CommandRunner, onError: (message: string) => void): EventLogWriter {
  let tail: Promise<void> = Promise.resolve();
  let reported = false;
  return {
    write(entry) {
      tail = tail.then(async () => {
        try {
          const result = await runner.run("eventcreate.exe", eventcreateArgs(entry));
          if (result.code !== 0)
            throw new Error((result.stderr || result.stdout).trim() || `exit ${result.code}`);
        } catch (error) {
          if (!reported) onError((error as Error).message);
          reported = true;
        }
      });
      return tail;
    },
  };
}
