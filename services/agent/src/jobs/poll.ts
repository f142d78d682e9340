// When to sample a running Hyper-V job again. A move's end frees a migration slot on two hosts, and
// the API starts the next queued move only once the agent has reported that end: with a fixed
// interval the report comes up to a whole interval late, for every move (a drain of 40 VMs through 8
// slots pays it five times over). So near its end a job is sampled when its own progress rate says it
// should be done, never more often than MIN_POLL_MS, never less often than the interval.

export const MIN_POLL_MS = 50;

export interface ProgressSample {
  /** Clock time of the sample (ms). */
  at: number;
  /** Hyper-V's PercentComplete, 0-100. */
  percent: number;
}

/** Wait before the next sample: `pollMs`, or the time the rate since `first` says is left, if less. */
export function nextPollMs(first: ProgressSample, last: ProgressSample, pollMs: number): number {
  const elapsed = last.at - first.at;
  const done = last.percent - first.percent;
  if (elapsed <= 0 || done <= 0 || last.percent >= 100) return pollMs;
  const left = ((100 - last.percent) * elapsed) / done;
  return Math.max(MIN_POLL_MS, Math.min(pollMs, Math.ceil(left)));
}
