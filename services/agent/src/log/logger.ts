// The agent's log: pino, one JSON line per event ({level, time, msg, ...fields}), to stdout and to a
// rotating file in the state folder (pino-roll's stream used in this process: no worker-thread
// transport, so the bundled single-file agent logs exactly like the source). Important events also go
// to the Windows Application event log (event-log.ts); a disconnection that lasts becomes one.
import fs from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import pinoRoll from "pino-roll";
import type { LogFn } from "./child.ts";
import { type EventLogWriter, IMPORTANT_EVENTS } from "./event-log.ts";

export { childLog, type LogFn } from "./child.ts";

/** Messages below info: routine failures worth a warning, the rest information. */
const LEVELS: Record<string, pino.Level> = {
  fatal: "fatal",
  "command handling failed": "error",
  "command failed": "warn",
  disconnected: "warn",
  "disconnected for long": "warn",
  "inventory report failed": "warn",
  "event report failed": "warn",
  "job poll failed": "warn",
  "job report not delivered": "warn",
  "job report refused; no longer following": "warn",
  "answer not delivered": "warn",
  "command subscription error": "warn",
  "command subscription failed": "warn",
  "event log write failed": "warn",
};

export interface LoggerOptions {
  level: pino.LevelWithSilent;
  /** Log files go to `<stateDir>/logs/ferry-agent.<n>.log` (rotated by size and day), or none. */
  stateDir?: string;
  /** Also write to stdout (interactive runs, tests; the service wrapper keeps its own copy). Default true. */
  stdout?: boolean;
  /** Important events, e.g. the Windows Application log; none elsewhere. */
  eventLog?: EventLogWriter;
  /** A disconnection longer than this becomes "disconnected for long" (default 5 min). */
  longDisconnectMs?: number;
  /** Rotation: size of one file (default "10m") and how many old files stay (default 10). */
  fileSize?: string;
  keepFiles?: number;
}

export interface AgentLogger {
  log: LogFn;
  pino: Logger;
  /** Waits for pending event-log writes and flushes the file. */
  close(): Promise<void>;
}

export function logDir(stateDir: string): string {
  return path.join(stateDir, "logs");
}

export async function createAgentLogger(options: LoggerOptions): Promise<AgentLogger> {
  const streams: pino.StreamEntry[] = [];
  if (options.stdout !== false)
    streams.push({ level: "trace", stream: pino.destination({ dest: 1, sync: true }) });
  let file: Awaited<ReturnType<typeof pinoRoll>> | null = null;
  if (options.stateDir && options.level !== "silent") {
    fs.mkdirSync(logDir(options.stateDir), { recursive: true });
    file = await pinoRoll({
      file: path.join(logDir(options.stateDir), "ferry-agent"),
      extension: ".log",
      size: options.fileSize ?? "10m",
      frequency: "daily",
      limit: { count: options.keepFiles ?? 10 },
      mkdir: true,
    });
    streams.push({ level: "trace", stream: file });
  }
  const logger = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  );
  const pendingEvents = new Set<Promise<void>>();
  let disconnectedTimer: NodeJS.Timeout | null = null;

  const log: LogFn = (msg, extra = {}) => {
    const level = LEVELS[msg] ?? "info";
    logger[level](extra, msg);
    const important = IMPORTANT_EVENTS[msg];
    if (important && options.eventLog) {
      const details = Object.entries(extra)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(", ");
      const write = options.eventLog.write({ ...important, message: details ? `${msg}: ${details}` : msg });
      pendingEvents.add(write);
      void write.finally(() => pendingEvents.delete(write));
    }
    if (msg === "disconnected" && !disconnectedTimer) {
      const since = Date.now();
      disconnectedTimer = setTimeout(
        () => log("disconnected for long", { seconds: Math.round((Date.now() - since) / 1000) }),
        options.longDisconnectMs ?? 300_000,
      );
      disconnectedTimer.unref();
    } else if (msg === "connected" && disconnectedTimer) {
      clearTimeout(disconnectedTimer);
      disconnectedTimer = null;
    }
  };

  return {
    log,
    pino: logger,
    async close() {
      if (disconnectedTimer) clearTimeout(disconnectedTimer);
      await Promise.allSettled([...pendingEvents]);
      if (file) {
        const stream = file;
        await new Promise<void>((resolve) => {
          stream.once("close", () => resolve());
          stream.end();
        });
      }
    },
  };
}
