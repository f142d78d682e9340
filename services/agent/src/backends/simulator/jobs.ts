// Job lifecycle. A job's state is derived from the clock (start, duration, planned failure, cancel
// request); `settle` applies the effects of jobs that ended, lazily, whenever the world is touched.
import type { HyperVErrorInfo, JobState, JobStatus } from "../types.ts";
import { appendEvent, EVENT_IDS } from "./events.ts";
import { FAILURES, type FailureContext, umbrellaMessage } from "./failures.ts";
import type { WorldModel } from "./model.ts";
import { baseName } from "./paths.ts";
import type { JobRecord, SimHost } from "./state.ts";
import { percentAt, progressCurve } from "./timing.ts";

/** When the job stops on its own: at its planned failure or at completion. */
function naturalEnd(job: JobRecord): number {
  return job.failure ? job.failure.at : job.endAt;
}

/** When the job ends, counting a cancel request. */
export function jobEnd(job: JobRecord): number {
  const end = naturalEnd(job);
  return job.cancelRequestedAt !== null && job.cancelRequestedAt < end ? job.cancelRequestedAt : end;
}

function runningPercent(job: JobRecord, at: number): number {
  const span = job.endAt - job.startedAt;
  const f = span > 0 ? (at - job.startedAt) / span : 1;
  return Math.min(99, Math.max(0, Math.floor(percentAt(progressCurve(job.curveSeed), f))));
}

export function jobStatus(job: JobRecord, now: number): JobStatus {
  const base = { jobId: job.jobId, kind: job.kind, vmId: job.vmId };
  if (job.result) {
    return { ...base, state: job.result.state, percentComplete: job.result.percent, error: job.result.error };
  }
  return { ...base, state: "RUNNING", percentComplete: runningPercent(job, now), error: null };
}

function context(job: JobRecord): FailureContext {
  return {
    vmName: job.vmName,
    vmId: job.vmId,
    source: job.source,
    destination: job.destination,
    storage: job.kind === "STORAGE",
  };
}

/** Logs the umbrella 21502 (and the specific event) on the hosts that saw the failure. */
export function logFailure(
  m: WorldModel,
  c: FailureContext,
  at: number,
  detail: string,
  eventId: number | null,
  hosts: { source: SimHost; destination: SimHost | null },
): void {
  const sides: ["source" | "destination", SimHost][] = [["source", hosts.source]];
  if (hosts.destination && hosts.destination !== hosts.source) sides.push(["destination", hosts.destination]);
  for (const [side, host] of sides) {
    appendEvent(host, at, EVENT_IDS.MIGRATION_FAILED, "Error", umbrellaMessage(c, side, detail), c.vmName);
    if (eventId !== null)
      appendEvent(host, at, eventId, "Error", `${detail} (Virtual machine ID ${c.vmId})`, c.vmName);
  }
  m.dirty = true;
}

/** Ends every job whose end time has passed, oldest end first, so event order follows time. */
export function settle(m: WorldModel, now: number): void {
  const due = m.pending.filter((j) => jobEnd(j) <= now);
  if (due.length === 0) return;
  due.sort((a, b) => jobEnd(a) - jobEnd(b));
  for (const job of due) finish(m, job);
  m.pending = m.pending.filter((j) => j.result === null);
  m.dirty = true;
}

function finish(m: WorldModel, job: JobRecord): void {
  const source = m.host(job.source)!;
  const destination = m.host(job.destination)!;
  const c = context(job);
  const endedAt = jobEnd(job);
  if (job.cancelRequestedAt !== null && endedAt === job.cancelRequestedAt && endedAt < naturalEnd(job)) {
    const message = FAILURES.CANCELLED.message(c);
    logFailure(m, c, endedAt, message, null, { source, destination: null });
    setResult(job, "CANCELLED", runningPercent(job, endedAt), endedAt, {
      code: "CANCELLED",
      message,
      eventId: EVENT_IDS.MIGRATION_FAILED,
    });
    return;
  }
  if (job.failure) {
    const f = job.failure;
    logFailure(m, c, f.at, f.message, f.eventId, {
      source,
      destination: f.onDestination ? destination : null,
    });
    // An injected CANCELLED fault ends the job as if someone had terminated it.
    setResult(job, f.code === "CANCELLED" ? "CANCELLED" : "FAILED", f.percent, f.at, {
      code: f.code,
      message: f.message,
      eventId: f.eventId ?? EVENT_IDS.MIGRATION_FAILED,
    });
    return;
  }
  complete(m, job, source, destination);
}

function setResult(
  job: JobRecord,
  state: JobState,
  percent: number,
  endedAt: number,
  error: HyperVErrorInfo | null,
) {
  job.result = { state, percent, error, endedAt };
}

function complete(m: WorldModel, job: JobRecord, source: SimHost, destination: SimHost): void {
  const loc = m.locateVm(job.vmId);
  if (!loc || loc.host !== source) {
    // The VM changed hosts or vanished under the job; Hyper-V would report it gone.
    const message = FAILURES.VM_NOT_FOUND.message(context(job));
    setResult(job, "FAILED", 99, job.endAt, {
      code: "VM_NOT_FOUND",
      message,
      eventId: EVENT_IDS.MIGRATION_FAILED,
    });
    return;
  }
  const { vm } = loc;
  if (job.storage) {
    for (const move of job.storage.drives) {
      const drive = vm.hardDrives.find((d) => d.path.toLowerCase() === move.from.toLowerCase());
      if (!drive) continue;
      const from = m.volumeAt(source, drive.path);
      const to = m.volumeAt(destination, move.to);
      if (from !== to) {
        if (from) from.freeBytes += drive.sizeBytes;
        if (to) to.freeBytes = to.freeBytes > drive.sizeBytes ? to.freeBytes - drive.sizeBytes : 0n;
      }
      drive.path = move.to;
    }
    if (job.storage.vmPath) vm.path = job.storage.vmPath;
  }
  if (source !== destination) m.transferVm(vm, source, destination);
  const secs = ((job.endAt - job.startedAt) / 1000) * m.state.timeScale;
  const when = job.endAt;
  if (job.kind === "STORAGE") {
    appendEvent(
      source,
      when,
      EVENT_IDS.STORAGE_MIGRATION_COMPLETED,
      "Information",
      `Storage migration of '${vm.name}' completed successfully in ${secs.toFixed(1)} seconds. (Virtual machine ID ${vm.vmId})`,
      vm.name,
    );
  } else {
    for (const [host, text] of [
      [source, `to host '${destination.facts.name}'`],
      [destination, `from host '${source.facts.name}'`],
    ] as const) {
      appendEvent(
        host,
        when,
        EVENT_IDS.LIVE_MIGRATION_COMPLETED,
        "Information",
        `Live migration of '${vm.name}' ${text} completed successfully in ${secs.toFixed(1)} seconds. (Virtual machine ID ${vm.vmId})`,
        vm.name,
      );
      if (job.longBlackoutSeconds !== null) {
        appendEvent(
          host,
          when,
          EVENT_IDS.LONG_BLACKOUT,
          "Warning",
          `'${vm.name}' completed the live migration (Virtual machine ID ${vm.vmId}) with an unexpectedly long blackout time of ${job.longBlackoutSeconds.toFixed(1)} seconds.`,
          vm.name,
        );
      }
    }
  }
  setResult(job, "COMPLETED", 100, job.endAt, null);
}

/** Requests termination (Msvm_MigrationJob.RequestStateChange(4)); finished jobs are left alone. */
export function requestCancel(m: WorldModel, job: JobRecord, now: number): void {
  if (job.result || job.cancelRequestedAt !== null) return;
  job.cancelRequestedAt = now;
  m.dirty = true;
  settle(m, now);
}

/** File names must match in Move-VMStorage -Vhds (Move-VMStorage -Vhds; docs/hyperv.md "Storage"). */
export function sameFileName(a: string, b: string): boolean {
  return baseName(a).toLowerCase() === baseName(b).toLowerCase();
}
