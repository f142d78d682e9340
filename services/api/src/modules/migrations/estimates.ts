// Estimates people can plan with, from the recorded progress and the VM's size: bytes copied so far,
// the copy rate and the time left. Estimates, not measurements: Hyper-V reports only a percentage,
// and a live move re-copies memory the VM dirties, so the last percent can take longer.
import type { MigrationState } from "../../generated/prisma/client.ts";

export interface EstimateInput {
  state: MigrationState;
  percentComplete: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** What the move copies: the VM's memory for a live move, plus its disks with storage, the disks for storage. */
  totalBytes: bigint;
  /** Progress samples, oldest first. */
  samples: { at: Date; percentComplete: number }[];
  now: number;
}

export interface Estimate {
  bytesTransferred: bigint | null;
  rateBytesPerSecond: bigint | null;
  secondsRemaining: number | null;
}

/** The rate is taken over the last RATE_WINDOW_MS of samples (recent speed, not the average since start). */
export const RATE_WINDOW_MS = 60_000;

const share = (total: bigint, percent: number) =>
  (total * BigInt(Math.max(0, Math.min(100, percent)))) / 100n;

export function estimate(m: EstimateInput): Estimate {
  const none: Estimate = { bytesTransferred: null, rateBytesPerSecond: null, secondsRemaining: null };
  switch (m.state) {
    case "QUEUED":
    case "STARTING":
      return { bytesTransferred: 0n, rateBytesPerSecond: null, secondsRemaining: null };
    case "SUCCEEDED": {
      const seconds =
        m.startedAt && m.finishedAt ? (m.finishedAt.getTime() - m.startedAt.getTime()) / 1000 : 0;
      const rate = seconds > 0 ? BigInt(Math.round(Number(m.totalBytes) / seconds)) : null;
      return { bytesTransferred: m.totalBytes, rateBytesPerSecond: rate, secondsRemaining: 0 };
    }
    case "RUNNING":
    case "CANCELLING":
      break;
    default:
      return m.totalBytes > 0n ? { ...none, bytesTransferred: share(m.totalBytes, m.percentComplete) } : none;
  }
  const transferred = share(m.totalBytes, m.percentComplete);
  const rate = recentRate(m) ?? averageRate(m, transferred);
  if (rate === null || rate <= 0)
    return { bytesTransferred: transferred, rateBytesPerSecond: null, secondsRemaining: null };
  const left = Number(m.totalBytes - transferred);
  return {
    bytesTransferred: transferred,
    rateBytesPerSecond: BigInt(Math.round(rate)),
    secondsRemaining: m.state === "CANCELLING" ? null : Math.max(0, Math.round((left / rate) * 10) / 10),
  };
}

/** Bytes per second between the latest sample and the oldest one within RATE_WINDOW_MS before it. */
function recentRate(m: EstimateInput): number | null {
  const moving = m.samples.filter((s) => s.percentComplete > 0 || (m.startedAt && s.at >= m.startedAt));
  const last = moving.at(-1);
  if (!last) return null;
  const first = moving.find((s) => last.at.getTime() - s.at.getTime() <= RATE_WINDOW_MS);
  if (!first || first === last) return null;
  const dt = (last.at.getTime() - first.at.getTime()) / 1000;
  const dp = last.percentComplete - first.percentComplete;
  if (dt <= 0 || dp <= 0) return null;
  return (Number(m.totalBytes) * dp) / 100 / dt;
}

/** Bytes copied since the start over the time since the start. */
function averageRate(m: EstimateInput, transferred: bigint): number | null {
  if (!m.startedAt || transferred <= 0n) return null;
  const dt = (m.now - m.startedAt.getTime()) / 1000;
  return dt > 0 ? Number(transferred) / dt : null;
}
