// Follows the Hyper-V jobs this agent started: samples each at least once a second (sooner near its
// end, poll.ts), reports
// progress and the outcome to the API, and survives restarts (the job list is in the state folder;
// Hyper-V keeps running the jobs while the agent is away).
import { type HyperVBackend, HyperVError, type JobStatus } from "../backends/types.ts";
import { RefusedError } from "../link/link.ts";
import type { StateStore } from "../state/store.ts";
import { nextPollMs, type ProgressSample } from "./poll.ts";

export interface TrackedJob {
  migrationId: string;
  vmId: string;
  /** Null between "about to start" (written first) and the backend's answer. */
  jobId: string | null;
  cancelRequested: boolean;
  startedAt: string;
  /** The API request the move belongs to (its START_MOVE's requestId), logged with the outcome. */
  requestId?: string | null;
  /** An outcome found without a job (the move finished while the agent was down): reported as is. */
  outcome?: JobReport | null;
}

export interface JobReport {
  migrationId: string;
  jobId: string | null;
  state: JobStatus["state"];
  percentComplete: number;
  errorCode: string | null;
  errorMessage: string | null;
  eventId: number | null;
}

export interface JobTrackerOptions {
  backend: HyperVBackend;
  store: StateStore;
  /** Sends a report; rejects when the API is unreachable (the tracker tries again). */
  report: (report: JobReport) => Promise<void>;
  /** After a job's outcome was acknowledged (e.g. report inventory: the VM moved). */
  onEnded: () => void;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  pollMs?: number;
}

const STORE_KEY = "jobs";
const REPORT_EVERY_MS = 1000;

export function createJobTracker(options: JobTrackerOptions) {
  const jobs = new Map<string, TrackedJob>(
    Object.entries(options.store.get<Record<string, TrackedJob>>(STORE_KEY) ?? {}),
  );
  const watching = new Set<string>();
  let stopped = false;
  const save = () => options.store.set(STORE_KEY, Object.fromEntries(jobs));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Hyper-V's view of the job as a report; null when it could not be read now (try again). */
  async function sample(job: TrackedJob): Promise<JobReport | null> {
    try {
      const s = await options.backend.getJob(job.jobId!);
      return {
        migrationId: job.migrationId,
        jobId: s.jobId,
        state: s.state,
        percentComplete: s.percentComplete,
        errorCode: s.error?.code ?? null,
        errorMessage: s.error?.message ?? null,
        eventId: s.error?.eventId ?? null,
      };
    } catch (error) {
      if (!(error instanceof HyperVError && error.code === "JOB_NOT_FOUND")) {
        options.log("job poll failed", { migrationId: job.migrationId, error: (error as Error).message });
        return null;
      }
      return {
        migrationId: job.migrationId,
        jobId: job.jobId,
        state: "FAILED",
        percentComplete: 0,
        errorCode: "JOB_NOT_FOUND",
        errorMessage: "Hyper-V no longer knows this migration job.",
        eventId: null,
      };
    }
  }

  async function watch(migrationId: string) {
    if (watching.has(migrationId)) return;
    watching.add(migrationId);
    let last = "";
    let lastSent = 0;
    // The first running sample of this watch: the job's rate, for the next poll near its end.
    let first: ProgressSample | null = null;
    let wait = options.pollMs ?? 500;
    try {
      while (!stopped) {
        const job = jobs.get(migrationId);
        if (!job || (!job.jobId && !job.outcome)) return;
        const report = job.outcome ?? (await sample(job));
        if (!report) {
          await sleep(options.pollMs ?? 500);
          continue;
        }
        const key = `${report.state}/${report.percentComplete}`;
        const terminal = report.state !== "RUNNING";
        if (!terminal) {
          const now = { at: Date.now(), percent: report.percentComplete };
          first ??= now;
          wait = nextPollMs(first, now, options.pollMs ?? 500);
        }
        if (key !== last || Date.now() - lastSent >= REPORT_EVERY_MS) {
          try {
            await options.report(report);
            last = key;
            lastSent = Date.now();
            if (terminal) {
              options.log("move job ended", {
                requestId: job.requestId ?? null,
                migrationId,
                jobId: report.jobId,
                state: report.state,
                errorCode: report.errorCode,
              });
              jobs.delete(migrationId);
              save();
              options.onEnded();
              return;
            }
          } catch (error) {
            if (error instanceof RefusedError) {
              // The API will never take reports of this migration from this host (unknown to it, or
              // another host's): following it further only repeats the refusal.
              options.log("job report refused; no longer following", { migrationId, error: error.message });
              jobs.delete(migrationId);
              save();
              return;
            }
            options.log("job report not delivered", { migrationId, error: (error as Error).message });
          }
        }
        await sleep(wait);
      }
    } finally {
      watching.delete(migrationId);
    }
  }

  /** Watches in the background; a failure (e.g. the state folder removed at shutdown) is logged. */
  const follow = (migrationId: string) =>
    void watch(migrationId).catch((error) =>
      options.log("job watch stopped", { migrationId, error: (error as Error).message }),
    );

  return {
    get: (migrationId: string) => jobs.get(migrationId),
    /** Write-ahead: recorded before the backend is asked to start, so a crash cannot start it twice. */
    begin(migrationId: string, vmId: string, requestId: string | null = null) {
      jobs.set(migrationId, {
        migrationId,
        vmId,
        jobId: null,
        cancelRequested: false,
        startedAt: new Date().toISOString(),
        requestId,
      });
      save();
    },
    forget(migrationId: string) {
      jobs.delete(migrationId);
      save();
    },
    async attach(migrationId: string, jobId: string) {
      const job = jobs.get(migrationId);
      if (!job) return;
      job.jobId = jobId;
      save();
      if (job.cancelRequested) await options.backend.cancelJob(jobId);
      follow(migrationId);
    },
    /**
     * After a crash between begin() and attach(): finds what Hyper-V did with the move. A running job
     * of this VM is followed; when `movedAway` says the VM is already where the move takes it, the
     * move finished while the agent was down: its (newest unclaimed) finished job is followed, or,
     * when Hyper-V no longer lists one, COMPLETED is reported as found. Null: Hyper-V has no trace,
     * Move-VM was not called (or refused at once), so starting it is safe.
     */
    async adopt(
      migrationId: string,
      movedAway: () => Promise<boolean>,
    ): Promise<{ jobId: string | null } | null> {
      const job = jobs.get(migrationId);
      if (!job) return null;
      const claimed = new Set([...jobs.values()].map((j) => j.jobId).filter(Boolean));
      const candidates = (await options.backend.listJobs()).filter(
        (j) => j.vmId === job.vmId && !claimed.has(j.jobId),
      );
      const running = candidates.find((j) => j.state === "RUNNING");
      if (running) {
        await this.attach(migrationId, running.jobId);
        return { jobId: running.jobId };
      }
      if (!(await movedAway())) return null;
      const finished = candidates.filter((j) => j.state === "COMPLETED").at(-1);
      if (finished) {
        await this.attach(migrationId, finished.jobId);
        return { jobId: finished.jobId };
      }
      job.outcome = {
        migrationId,
        jobId: null,
        state: "COMPLETED",
        percentComplete: 100,
        errorCode: null,
        errorMessage: null,
        eventId: null,
      };
      save();
      follow(migrationId);
      return { jobId: null };
    },
    async requestCancel(migrationId: string): Promise<boolean> {
      const job = jobs.get(migrationId);
      if (!job) return false;
      job.cancelRequested = true;
      save();
      if (job.jobId) await options.backend.cancelJob(job.jobId);
      return true;
    },
    /** How many migration jobs are being polled now (the periodic inventory yields to them). */
    following(): number {
      return watching.size;
    },
    /** At start-up: follow every job the previous run was following. */
    resume() {
      for (const job of jobs.values()) if (job.jobId || job.outcome) follow(job.migrationId);
    },
    stop() {
      stopped = true;
    },
  };
}

export type JobTracker = ReturnType<typeof createJobTracker>;
