// Move-VM and Move-VMStorage: validation, the checks Hyper-V makes at start (thrown), and the
// failure a job will meet later (planned into the job, applied when the clock passes it).

import { firstFailure, liveMoveRules, type RuleId, type RuleVerdict } from "@ferry/hyperv";
import {
  HyperVError,
  type HyperVErrorCode,
  type JobKind,
  type JobStatus,
  type MoveStorageRequest,
  type MoveVmRequest,
  type Vm,
} from "../types.ts";
import { EVENT_IDS } from "./events.ts";
import { FAILURES, type FailureContext, type FailurePoint, pointRange } from "./failures.ts";
import { jobStatus, logFailure, sameFileName } from "./jobs.ts";
import type { WorldModel } from "./model.ts";
import { baseName, joinPath, normalizePath, parentDir } from "./paths.ts";
import { between, guid, hashSeed, rng } from "./rng.ts";
import { simHostFacts, simVmFacts } from "./rules.ts";
import { holdsMemory, type JobRecord, type PlannedFailure, type SimHost } from "./state.ts";
import {
  fractionAt,
  liveMoveTiming,
  migrationBytesPerSecond,
  progressCurve,
  storageMoveSeconds,
  toClockMs,
} from "./timing.ts";

export { MIGRATION_RULE, SMB_RULE } from "@ferry/hyperv";

interface Planned {
  code: HyperVErrorCode;
  ctx: FailureContext;
}

function invalid(message: string): HyperVError {
  return new HyperVError("INVALID_PARAMETER", message);
}

function vmOnHost(m: WorldModel, host: SimHost, vmId: unknown): Vm {
  const loc = typeof vmId === "string" ? m.locateVm(vmId) : undefined;
  if (!loc || loc.host !== host) {
    throw new HyperVError("VM_NOT_FOUND", FAILURES.VM_NOT_FOUND.message(ctxOf(String(vmId), "", host, host)));
  }
  return loc.vm;
}

function ctxOf(vmId: string, vmName: string, source: SimHost, destination: SimHost): FailureContext {
  return { vmId, vmName, source: source.facts.name, destination: destination.facts.name };
}

/** States Hyper-V moves from; transitional ones (Starting, Saving ...) are refused. */
const MOVABLE = new Set(["RUNNING", "OFF", "SAVED", "PAUSED"]);

function vmBusy(m: WorldModel, vm: Vm, host: SimHost): void {
  if (m.activeJobForVm(vm.vmId) || !MOVABLE.has(vm.state)) {
    throw new HyperVError(
      "INVALID_VM_STATE",
      FAILURES.INVALID_VM_STATE.message(ctxOf(vm.vmId, vm.name, host, host)),
    );
  }
}

/** The injected fault for this VM, consumed by this move. */
function takeFault(m: WorldModel, vm: Vm) {
  // SHUTDOWN_UNAVAILABLE is the guest's, for Stop-VM (power.ts), not a move's.
  const i = m.state.faults.findIndex((f) => f.vmName === vm.name && f.code !== "SHUTDOWN_UNAVAILABLE");
  if (i < 0) return null;
  const [fault] = m.state.faults.splice(i, 1);
  m.dirty = true;
  return fault!.code;
}

/** Hyper-V's refusal for a rule that FAILs at start (docs/hyperv.md). */
function refuseAtStart(
  m: WorldModel,
  now: number,
  v: RuleVerdict,
  vm: Vm,
  ctx: FailureContext,
  source: SimHost,
  destination: SimHost,
): never {
  let message: string | null = null;
  if (v.rule === "configurationVersion") {
    message = `The virtual machine '${vm.name}' has configuration version ${vm.configurationVersion}, which host '${destination.facts.name}' does not support.`;
  } else if (v.rule === "clustered") {
    message = `The virtual machine '${vm.name}' is clustered: move it through the cluster (Move-ClusterVirtualMachineRole).`;
  }
  if (message !== null) {
    logFailure(m, ctx, now, message, null, { source, destination: null });
    throw new HyperVError(v.code as HyperVErrorCode, message, EVENT_IDS.MIGRATION_FAILED);
  }
  failAtStart(
    m,
    now,
    { code: v.code as HyperVErrorCode, ctx: { ...ctx, host: v.host ?? undefined } },
    source,
    null,
  );
}

/** A failure thrown at start: logged on the source (and destination when it refused), then thrown. */
function failAtStart(
  m: WorldModel,
  now: number,
  p: Planned,
  source: SimHost,
  destination: SimHost | null,
): never {
  const spec = FAILURES[p.code];
  const message = spec.message(p.ctx);
  logFailure(m, p.ctx, now, message, spec.eventId, { source, destination });
  throw new HyperVError(p.code, message, spec.eventId ?? EVENT_IDS.MIGRATION_FAILED);
}

function storageBytes(vm: Vm): bigint {
  return vm.hardDrives.reduce((sum, d) => sum + d.sizeBytes, 0n);
}

/** Where a failure lands and when, on this job's progress curve. */
function plan(p: Planned, point: FailurePoint, job: JobRecord): PlannedFailure {
  const spec = FAILURES[p.code];
  const [lo, hi] = pointRange(point);
  const percent = Math.round(between(rng(hashSeed(job.curveSeed, "fail")), lo, hi));
  const at =
    job.startedAt +
    Math.round(fractionAt(progressCurve(job.curveSeed), percent) * (job.endAt - job.startedAt));
  return {
    code: p.code,
    message: spec.message(p.ctx),
    eventId: spec.eventId,
    percent,
    at,
    onDestination: spec.onDestination,
  };
}

/** Checks that destination folders exist on `host` and their volumes hold `bytes` (per volume). */
function checkTargets(
  m: WorldModel,
  host: SimHost,
  targets: { dir: string; bytes: bigint }[],
): { path: string; noSpace: boolean } | null {
  const need = new Map<object, bigint>();
  for (const t of targets) {
    const vol = m.volumeAt(host, t.dir);
    if (!vol) return { path: t.dir, noSpace: false };
    const total = (need.get(vol) ?? 0n) + t.bytes;
    need.set(vol, total);
    if (total > vol.freeBytes) return { path: t.dir, noSpace: true };
  }
  return null;
}

function newJob(
  m: WorldModel,
  now: number,
  kind: JobKind,
  vm: Vm,
  source: SimHost,
  destination: SimHost,
  simSeconds: number,
): JobRecord {
  const seq = ++m.state.jobSeq;
  const seed = hashSeed(m.state.seed, "job", seq, vm.vmId);
  return {
    jobId: guid(rng(seed)),
    kind,
    vmId: vm.vmId,
    vmName: vm.name,
    source: source.facts.name,
    destination: destination.facts.name,
    startedAt: now,
    endAt: now + toClockMs(simSeconds, m.state.timeScale),
    simSeconds,
    curveSeed: seed,
    failure: null,
    longBlackoutSeconds: null,
    storage: null,
    reservedMemoryBytes: 0,
    cancelRequestedAt: null,
    result: null,
  };
}

function record(m: WorldModel, job: JobRecord, now: number): JobStatus {
  m.state.jobs.push(job);
  m.pending.push(job);
  m.dirty = true;
  return jobStatus(job, now);
}

function storageLimitReached(m: WorldModel, host: SimHost): number | null {
  const limit = host.settings.maximumStorageMigrations;
  const running = m.pending.filter((j) => j.kind === "STORAGE" && j.source === host.facts.name).length;
  return running >= limit ? limit : null;
}

function vmLimitReached(m: WorldModel, host: SimHost): number | null {
  const limit = host.settings.maximumVirtualMachineMigrations;
  const running = m.activeJobsOf(host.facts.name).filter((j) => j.kind !== "STORAGE").length;
  return running >= limit ? limit : null;
}

export function startMoveVm(m: WorldModel, source: SimHost, req: MoveVmRequest, now: number): JobStatus {
  const vm = vmOnHost(m, source, req?.vmId);
  if (typeof req.destinationHost !== "string" || req.destinationHost.trim() === "") {
    throw invalid("The parameter DestinationHost is required.");
  }
  if (req.includeStorage && !req.destinationStoragePath) {
    throw invalid("The parameter DestinationStoragePath is required when IncludeStorage is specified.");
  }
  if (!req.includeStorage && req.destinationStoragePath) {
    throw invalid("The parameter DestinationStoragePath can only be used together with IncludeStorage.");
  }
  const destination = m.host(req.destinationHost);
  if (!destination) {
    throw invalid(
      `Failed to establish a connection with host ${req.destinationHost}: No such host is known. (0x80072AF9).`,
    );
  }
  if (destination === source) {
    throw invalid(`The virtual machine '${vm.name}' is already on host '${source.facts.name}'.`);
  }
  vmBusy(m, vm, source);
  const ctx = ctxOf(vm.vmId, vm.name, source, destination);
  const fault = takeFault(m, vm);
  const faultPoint = fault && fault !== "LONG_BLACKOUT" ? FAILURES[fault].point : null;
  if (fault && fault !== "LONG_BLACKOUT" && faultPoint === "start") {
    const limit = source.settings.maximumVirtualMachineMigrations;
    const faultCtx = faultContext(fault, { ...ctx, limit, host: source.facts.name }, vm, vm.path);
    failAtStart(
      m,
      now,
      { code: fault, ctx: faultCtx },
      source,
      FAILURES[fault].onDestination ? destination : null,
    );
  }

  // Checks Hyper-V makes before anything is copied: the @ferry/hyperv rules, then its own limits.
  const verdicts = liveMoveRules(simVmFacts(vm), simHostFacts(m, source), simHostFacts(m, destination), {
    smbTransport: source.settings.performanceOption === "SMB",
    copiesStorage: req.includeStorage,
  });
  const early = new Set<RuleId>(["clustered", "migrationEnabled", "migrationNetwork"]);
  const refuse = (v: RuleVerdict | undefined) => {
    if (v) refuseAtStart(m, now, v, vm, ctx, source, destination);
  };
  refuse(verdicts.find((v) => v.status === "FAIL" && early.has(v.rule)));
  for (const host of [source, destination]) {
    const limit = vmLimitReached(m, host);
    if (limit !== null) {
      const p = { code: "MIGRATION_LIMIT_REACHED" as const, ctx: { ...ctx, host: host.facts.name, limit } };
      failAtStart(m, now, p, source, host === destination ? destination : null);
    }
  }
  refuse(firstFailure(verdicts, "start") ?? undefined);

  // The job, its duration, and the failure it will meet.
  const bytes = storageBytes(vm);
  const kind: JobKind = req.includeStorage ? "LIVE_WITH_STORAGE" : "LIVE";
  const memory = holdsMemory(vm.state)
    ? vm.memoryAssignedBytes > 0n
      ? vm.memoryAssignedBytes
      : vm.memoryStartupBytes
    : vm.state === "SAVED"
      ? vm.memoryStartupBytes
      : 0n;
  const seqSeed = hashSeed(m.state.seed, "timing", m.state.jobSeq + 1, vm.vmId);
  const timing = liveMoveTiming({
    memoryBytes: Number(memory),
    running: holdsMemory(vm.state),
    cpuUsage: vm.cpuUsage,
    storageBytes: req.includeStorage ? Number(bytes) : 0,
    bytesPerSecond: migrationBytesPerSecond(source, destination, source.settings.performanceOption),
    seed: seqSeed,
  });
  let seconds = timing.seconds;
  const longBlackout = fault === "LONG_BLACKOUT" ? Math.round(between(rng(seqSeed), 55, 75) * 10) / 10 : null;
  if (longBlackout !== null) seconds += longBlackout;
  const job = newJob(m, now, kind, vm, source, destination, seconds);
  job.longBlackoutSeconds = longBlackout;
  if (holdsMemory(vm.state)) job.reservedMemoryBytes = Number(memory);

  if (req.includeStorage) {
    const dir = req.destinationStoragePath!;
    job.storage = {
      vmPath: dir,
      drives: vm.hardDrives.map((d) => ({ from: d.path, to: joinPath(dir, baseName(d.path)) })),
    };
  }

  let planned: { p: Planned; point: FailurePoint } | null = null;
  if (fault && fault !== "LONG_BLACKOUT") {
    planned = {
      p: { code: fault, ctx: faultContext(fault, ctx, vm, req.destinationStoragePath ?? vm.path) },
      point: faultPoint!,
    };
  } else {
    const during = firstFailure(verdicts, "during");
    const missing = vm.switchNames.find(
      (s) => !destination.switches.some((sw) => sw.name.toLowerCase() === s.toLowerCase()),
    );
    if (during?.rule === "switches") {
      planned = { p: { code: "SWITCH_NOT_FOUND", ctx: { ...ctx, switchName: missing } }, point: "early" };
    } else if (during?.rule === "memory") {
      planned = { p: { code: "INSUFFICIENT_MEMORY", ctx }, point: "early" };
    } else {
      const bad = req.includeStorage
        ? checkTargets(m, destination, [{ dir: req.destinationStoragePath!, bytes }])
        : unreachable(m, vm, source, destination);
      if (bad) planned = { p: { code: "PATH_NOT_FOUND", ctx: { ...ctx, ...bad } }, point: "late" };
    }
  }
  if (planned) job.failure = plan(planned.p, planned.point, job);
  // A partition that cannot be created holds no memory.
  if (job.failure?.code === "INSUFFICIENT_MEMORY") job.reservedMemoryBytes = 0;
  return record(m, job, now);
}

function faultContext(code: HyperVErrorCode, ctx: FailureContext, vm: Vm, path: string): FailureContext {
  if (code === "SWITCH_NOT_FOUND") return { ...ctx, switchName: vm.switchNames[0] ?? "Production" };
  if (code === "PATH_NOT_FOUND") return { ...ctx, path };
  return ctx;
}

/** Without -IncludeStorage the destination must open the VM's files where they are (shared storage). */
function unreachable(m: WorldModel, vm: Vm, source: SimHost, destination: SimHost) {
  for (const p of [vm.path, ...vm.hardDrives.map((d) => d.path)]) {
    if (!m.reachableFrom(p, source, destination)) return { path: p, noSpace: false };
  }
  return null;
}

export function startMoveStorage(
  m: WorldModel,
  host: SimHost,
  req: MoveStorageRequest,
  now: number,
): JobStatus {
  const vm = vmOnHost(m, host, req?.vmId);
  const hasPath = typeof req.destinationStoragePath === "string" && req.destinationStoragePath !== "";
  const hasVhds = Array.isArray(req.vhds) && req.vhds.length > 0;
  if (hasPath === hasVhds) {
    throw invalid("Specify either DestinationStoragePath or Vhds.");
  }
  const drives: { from: string; to: string }[] = [];
  if (hasVhds) {
    for (const v of req.vhds!) {
      if (typeof v?.sourcePath !== "string" || typeof v.destinationPath !== "string") {
        throw invalid("Each entry of Vhds needs SourceFilePath and DestinationFilePath.");
      }
      const drive = vm.hardDrives.find((d) => normalizePath(d.path) === normalizePath(v.sourcePath));
      if (!drive)
        throw invalid(
          `The virtual hard disk '${v.sourcePath}' is not attached to virtual machine '${vm.name}'.`,
        );
      if (!sameFileName(v.sourcePath, v.destinationPath)) {
        throw invalid(
          `The file name of '${v.destinationPath}' must be the same as the file name of '${v.sourcePath}'.`,
        );
      }
      drives.push({ from: drive.path, to: v.destinationPath });
    }
  } else {
    for (const d of vm.hardDrives)
      drives.push({ from: d.path, to: joinPath(req.destinationStoragePath!, baseName(d.path)) });
  }
  vmBusy(m, vm, host);
  const ctx: FailureContext = { ...ctxOf(vm.vmId, vm.name, host, host), storage: true };
  const fault = takeFault(m, vm);
  const faultPoint = fault && fault !== "LONG_BLACKOUT" ? FAILURES[fault].point : null;
  if (fault && fault !== "LONG_BLACKOUT" && faultPoint === "start") {
    const limit = host.settings.maximumStorageMigrations;
    failAtStart(m, now, { code: fault, ctx: { ...ctx, limit, host: host.facts.name } }, host, null);
  }
  const limit = storageLimitReached(m, host);
  if (limit !== null) {
    failAtStart(
      m,
      now,
      { code: "MIGRATION_LIMIT_REACHED", ctx: { ...ctx, host: host.facts.name, limit } },
      host,
      null,
    );
  }
  const sizes = new Map(vm.hardDrives.map((d) => [d.path, d.sizeBytes]));
  const bytes = drives.reduce((s, d) => s + (sizes.get(d.from) ?? 0n), 0n);
  const job = newJob(m, now, "STORAGE", vm, host, host, 0);
  const seconds = storageMoveSeconds(Number(bytes), hashSeed(job.curveSeed, "storage"));
  job.simSeconds = seconds;
  job.endAt = now + toClockMs(seconds, m.state.timeScale);
  job.storage = { vmPath: hasPath ? req.destinationStoragePath! : null, drives };

  let planned: { p: Planned; point: FailurePoint } | null = null;
  if (fault && fault !== "LONG_BLACKOUT") {
    planned = {
      p: {
        code: fault,
        ctx: faultContext(fault, ctx, vm, req.destinationStoragePath ?? drives[0]?.to ?? vm.path),
      },
      point: faultPoint!,
    };
  } else {
    const bad = checkTargets(
      m,
      host,
      drives.map((d) => ({ dir: parentDir(d.to), bytes: sizes.get(d.from) ?? 0n })),
    );
    const badVmPath = hasPath && !m.volumeAt(host, req.destinationStoragePath!);
    if (badVmPath)
      planned = {
        p: { code: "PATH_NOT_FOUND", ctx: { ...ctx, path: req.destinationStoragePath! } },
        point: "late",
      };
    else if (bad) planned = { p: { code: "PATH_NOT_FOUND", ctx: { ...ctx, ...bad } }, point: "late" };
  }
  if (planned) job.failure = plan(planned.p, planned.point, job);
  return record(m, job, now);
}
