// The simulated Microsoft-Windows-Hyper-V-VMMS-Admin log of each host.
import type { HostEvent } from "../types.ts";
import type { SimHost } from "./state.ts";

/**
 * Event ids. `confirmed` ones are documented in docs/hyperv.md; the others are the simulator's choice and
 * must not be relied on for diagnosis (the PowerShell backend reads whatever Hyper-V writes).
 */
export const EVENT_IDS = {
  /** Umbrella "migration failed" (confirmed). */
  MIGRATION_FAILED: 21502,
  /** Migration limit reached (confirmed). */
  LIMIT_REACHED: 21501,
  /** Switch not found at the destination (confirmed). */
  SWITCH_NOT_FOUND: 21125,
  /** Failed to register the configuration: path not found (confirmed). */
  PATH_NOT_FOUND: 20413,
  /** Live migration completed with a long blackout (confirmed). */
  LONG_BLACKOUT: 20417,
  /** Live migration completed successfully (UNCONFIRMED id). */
  LIVE_MIGRATION_COMPLETED: 20415,
  /** Storage migration completed successfully (UNCONFIRMED id). */
  STORAGE_MIGRATION_COMPLETED: 20821,
} as const;

/** Older records are dropped past this many per host; recordIds keep growing. */
export const EVENT_LOG_LIMIT = 5000;

export function appendEvent(
  host: SimHost,
  at: number,
  eventId: number,
  level: HostEvent["level"],
  message: string,
  vmName: string | null,
): void {
  host.events.push({
    recordId: host.nextRecordId++,
    eventId,
    level,
    timeCreated: new Date(at).toISOString(),
    message,
    vmName,
  });
  if (host.events.length > EVENT_LOG_LIMIT) host.events.splice(0, host.events.length - EVENT_LOG_LIMIT);
}

export function readEvents(host: SimHost, afterRecordId: number | null, max: number): HostEvent[] {
  if (!(max > 0)) return [];
  const after = afterRecordId ?? 0;
  const out: HostEvent[] = [];
  for (const e of host.events) {
    if (e.recordId > after) {
      out.push({ ...e });
      if (out.length >= max) break;
    }
  }
  return out;
}
