// The agent's log function, and child logs that add fields to every line (like pino's child loggers):
// the runner logs each command with its id, type and the API request that caused it.
export type LogFn = (msg: string, extra?: Record<string, unknown>) => void;

/** A child of `log`: every line also carries `fields` (e.g. a command's id and its API request id). */
export function childLog(log: LogFn, fields: Record<string, unknown>): LogFn {
  return (msg, extra = {}) => log(msg, { ...fields, ...extra });
}
