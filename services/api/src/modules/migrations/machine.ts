// The migration state machine: the only code that writes Migration.state. Each transition is one
// guarded UPDATE (WHERE state IN the table's allowed-from states, transitions.ts), its timeline
// sample and its command rows, committed in one transaction; notifications go out after the commit
// (messages are hints, the rows are the truth). Callers: requests (enqueue), the scheduler (start,
// refuseStart), cancel, the agent's reports (claim, job updates, command answers) and the sweeper.
import { type CommandPayload, vhdMoveSchema } from "@ferry/protocol";
import type { App } from "../../context.ts";
import { retryOnConflict } from "../../db/conflicts.ts";
import type { Migration, MigrationState, Prisma } from "../../generated/prisma/client.ts";
import { linkEventsToMigration } from "../events/service.ts";
import { ConflictError, NotFoundError } from "../shared/errors.ts";
import { isUuid } from "../shared/ids.ts";
import { currentRequestId } from "../shared/request-scope.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import { migrationEvent } from "../webhooks/views.ts";
import { diagnose, diagnoseMigration } from "./diagnosis.ts";
import {
  ACTIVE_STATES,
  allowedFrom,
  isTerminal,
  type Operation,
  SLOT_STATES,
  TERMINAL_STATES,
} from "./transitions.ts";

export { ACTIVE_STATES, SLOT_STATES, TERMINAL_STATES } from "./transitions.ts";

export type Tx = Prisma.TransactionClient;

/** A migration's end, as announced (logged, migrationEnded) after the commit. */
export interface Ended {
  kind: Migration["kind"];
  state: MigrationState;
  requestId: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /**
   * The end recorded before this one, when the migration had already ended (a provisional end that a
   * real outcome corrected, or that was reopened and ended again); null for its first end.
   */
  correctedFrom: MigrationState | null;
}

/** What to announce once the transaction committed. */
export class Effects {
  readonly migrations = new Set<string>();
  readonly ended = new Map<string, Ended>();
  readonly commands: { hostId: string; commandId: string }[] = [];
  readonly hosts = new Set<string>();
  schedule = false;
}

/** The one publish helper: a migration changed (its row and timeline are committed). */
export function publishMigration(app: App, migrationId: string) {
  app.pubsub.publish("migrationChanged", migrationId, { at: Date.now() });
  app.pubsub.publish("migrationsChanged", { migrationId });
}

async function announce(app: App, fx: Effects) {
  for (const c of fx.commands) app.pubsub.publish("agentCommand", c.hostId, { commandId: c.commandId });
  for (const hostId of fx.hosts) app.pubsub.publish("hostChanged", { hostId });
  for (const [id, end] of fx.ended) {
    app.logger.info(
      {
        requestId: end.requestId,
        migrationId: id,
        kind: end.kind,
        state: end.state,
        correctedFrom: end.correctedFrom,
      },
      end.correctedFrom ? "migration end corrected" : "migration ended",
    );
  }
  for (const id of fx.ended.keys()) {
    // Best effort: events are also linked when they arrive.
    await linkEventsToMigration(app, id).catch((error) =>
      app.logger.warn({ err: error, migrationId: id }, "linking events failed"),
    );
  }
  for (const id of fx.migrations) publishMigration(app, id);
  for (const [id, end] of fx.ended) void app.hooks.emit("migrationEnded", app, id, end);
  // A move was queued or a slot freed: this App's scheduler makes a pass soon (scheduler.ts).
  if (fx.schedule) void app.hooks.emit("slotFreed");
}

/**
 * Writes a client call's audit entry in the transaction of the change it records (runMutation's
 * AuditIn, modules/audit/service.ts): the transition and its entry commit together or not at all.
 */
export type AuditInTx = (tx: Tx) => Promise<void>;

/**
 * Runs `work` in one transaction (with the caller's audit entry, if any, last) and announces its
 * effects after the commit.
 */
export async function inTransaction<T>(
  app: App,
  work: (tx: Tx, fx: Effects) => Promise<T>,
  audit?: AuditInTx,
): Promise<T> {
  // A deadlock with an inventory statement aborts the whole transaction: run it again from the start,
  // with fresh effects (the aborted attempt's notifications and commands never happened).
  let fx = new Effects();
  const result = await retryOnConflict(() => {
    fx = new Effects();
    return app.db.prisma.$transaction(
      async (tx) => {
        const value = await work(tx, fx);
        await audit?.(tx);
        return value;
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
  });
  await announce(app, fx);
  return result;
}

export interface Failure {
  code: string;
  message: string;
  eventId: number | null;
  /** Overrides the catalog's remedy (e.g. a failed start check's own remedy). */
  remedy?: string | null;
  diagnosis?: string | null;
}

interface Change {
  op: Operation;
  to: MigrationState;
  /** The timeline message of this transition. */
  message: string;
  data?: Prisma.MigrationUpdateManyMutationInput;
  /** Extra guard conditions (e.g. the reporting agent's host). */
  where?: Prisma.MigrationWhereInput;
}

/**
 * Applies one transition: guarded UPDATE, timeline sample, and when it ends the migration, its
 * pending commands expire (never sent again) in the same transaction. Null when the guard refused.
 */
export async function transition(tx: Tx, fx: Effects, id: string, change: Change): Promise<Migration | null> {
  const { count } = await tx.migration.updateMany({
    where: { ...change.where, id, state: { in: allowedFrom(change.op, change.to) } },
    data: {
      ...change.data,
      state: change.to,
      ...(isTerminal(change.to) ? { finishedAt: new Date() } : {}),
    },
  });
  if (count === 0) return null;
  const m = await tx.migration.findUniqueOrThrow({ where: { id } });
  await tx.migrationSample.create({
    data: { migrationId: id, percentComplete: m.percentComplete, state: m.state, message: change.message },
  });
  await enqueueWebhookEvent(tx, migrationEvent(m));
  fx.migrations.add(id);
  if (isTerminal(change.to)) {
    await tx.agentCommand.updateMany({
      where: { migrationId: id, status: { in: ["PENDING", "DELIVERED"] } },
      data: { status: "EXPIRED", completedAt: new Date(), errorCode: "EXPIRED" },
    });
    // The sample just written and the end before it, if the migration had ended already.
    const ends = await tx.migrationSample.findMany({
      where: { migrationId: id, state: { in: [...TERMINAL_STATES] } },
      orderBy: { id: "desc" },
      take: 2,
      select: { state: true },
    });
    fx.ended.set(id, {
      kind: m.kind,
      state: m.state,
      requestId: m.requestId,
      requestedAt: m.requestedAt,
      startedAt: m.startedAt,
      finishedAt: m.finishedAt,
      correctedFrom: ends[1]?.state ?? null,
    });
    fx.schedule = true;
  }
  return m;
}

/** Writes a command for an agent inside the transaction; its hint goes out after the commit. */
async function command(
  tx: Tx,
  fx: Effects,
  data: {
    hostId: string;
    type: string;
    payload: Prisma.InputJsonValue;
    requestedBy: string;
    migrationId: string;
    /** The request it belongs to: the move's own (stored on the migration) or the one executing now. */
    requestId: string | null;
  },
) {
  const row = await tx.agentCommand.create({ data, select: { id: true } });
  fx.commands.push({ hostId: data.hostId, commandId: row.id });
}

/**
 * The failure with its diagnosis and remedy for this migration's hosts (read before the transaction:
 * the diagnosis reads the hosts' configuration through the app's client).
 */
async function diagnosed(app: App, migrationId: string, failure: Failure): Promise<Failure> {
  if (failure.diagnosis && failure.remedy) return failure;
  const d = await diagnoseMigration(app, migrationId, failure);
  return { ...failure, diagnosis: failure.diagnosis ?? d.diagnosis, remedy: failure.remedy ?? d.remedy };
}

function failureData(failure: Failure): Prisma.MigrationUpdateManyMutationInput {
  const d = diagnose(failure.code);
  return {
    failureCode: failure.code,
    failureMessage: failure.message,
    failureEventId: failure.eventId,
    failureDiagnosis: failure.diagnosis ?? d.diagnosis,
    failureRemedy: failure.remedy ?? d.remedy,
  };
}

const NO_FAILURE = {
  failureCode: null,
  failureMessage: null,
  failureEventId: null,
  failureDiagnosis: null,
  failureRemedy: null,
} satisfies Prisma.MigrationUpdateManyMutationInput;

const describe = (state: MigrationState, failure: Failure | null) =>
  failure ? `${failure.code}: ${failure.message}` : state.toLowerCase();

// ---------------------------------------------------------------------------------------------
// enqueue / start (requests, scheduler)

export type NewMigration = Omit<Prisma.MigrationUncheckedCreateInput, "state" | "id" | "seq">;

/**
 * Inserts a QUEUED migration with its first timeline sample (and the request's audit entry).
 * Unique violations (P2002) propagate.
 */
export async function enqueue(app: App, data: NewMigration, audit?: AuditInTx): Promise<Migration> {
  return inTransaction(app, (tx, fx) => enqueueIn(tx, fx, data), audit);
}

/** enqueue inside the caller's transaction (placement plans and enqueues under one lock). */
export async function enqueueIn(tx: Tx, fx: Effects, data: NewMigration): Promise<Migration> {
  // The request that queued it (its commands carry the id later, when the scheduler starts it).
  const requestId = data.requestId !== undefined ? data.requestId : currentRequestId();
  const m = await tx.migration.create({ data: { ...data, requestId, state: "QUEUED" } });
  await tx.migrationSample.create({
    data: {
      migrationId: m.id,
      percentComplete: 0,
      state: "QUEUED",
      message: data.notBefore ? `queued, not before ${new Date(data.notBefore).toISOString()}` : "queued",
    },
  });
  await enqueueWebhookEvent(tx, migrationEvent(m));
  fx.migrations.add(m.id);
  fx.schedule = true;
  return m;
}

/** QUEUED -> STARTING with its START_MOVE for the source agent (inside the scheduler's transaction). */
export async function start(tx: Tx, fx: Effects, m: Migration, destinationHost: string | null) {
  const started = await transition(tx, fx, m.id, {
    op: "start",
    to: "STARTING",
    message: "start sent to the source agent",
    data: { startedAt: new Date() },
  });
  if (!started) return null;
  await command(tx, fx, {
    hostId: m.sourceHostId,
    type: "START_MOVE",
    payload: startPayload(started, destinationHost),
    requestedBy: m.requestedBy,
    migrationId: m.id,
    requestId: started.requestId,
  });
  return started;
}

/** START_MOVE's payload (JOB_STATUS carries the same), checked against the protocol. */
export function startPayload(m: Migration, destinationHost: string | null): CommandPayload<"START_MOVE"> {
  return {
    migrationId: m.id,
    kind: m.kind,
    vmId: m.vmGuid,
    destinationHost,
    includeStorage: m.kind === "LIVE_WITH_STORAGE",
    destinationStoragePath: m.destinationStoragePath,
    vhds: vhdMoveSchema.array().parse(m.vhdMoves ?? []),
  };
}

/** QUEUED -> FAILED: a host-state check failed just before the start; nothing was sent to Hyper-V. */
export function refuseStart(tx: Tx, fx: Effects, id: string, failure: Failure) {
  return transition(tx, fx, id, {
    op: "refuseStart",
    to: "FAILED",
    message: `not started: ${failure.code}: ${failure.message}`,
    data: failureData(failure),
  });
}

// ---------------------------------------------------------------------------------------------
// agent

export interface ClaimResult {
  /** True: the agent may call Move-VM (or follow the job it already started). */
  claimed: boolean;
  state: MigrationState;
}

/**
 * The source agent asks before it calls Move-VM: STARTING -> RUNNING. Refused (claimed: false) when
 * the migration is no longer expected to start (cancelled, failed, ...). Already RUNNING/CANCELLING
 * is a redelivery after a crash: claimed, so the agent follows the job it started.
 */
export async function claimStart(
  app: App,
  hostId: string,
  migrationId: string,
  audit?: AuditInTx,
): Promise<ClaimResult> {
  return inTransaction(
    app,
    async (tx, fx) => {
      const m = await findForAgent(tx, hostId, migrationId);
      const won = await transition(tx, fx, m.id, {
        op: "claim",
        to: "RUNNING",
        message: "started by the source agent",
        where: { sourceHostId: hostId },
      });
      const state = won?.state ?? (await tx.migration.findUniqueOrThrow({ where: { id: m.id } })).state;
      return { claimed: state === "RUNNING" || state === "CANCELLING", state };
    },
    audit,
  );
}

async function findForAgent(tx: Tx, hostId: string, migrationId: string) {
  const m = isUuid(migrationId)
    ? await tx.migration.findFirst({ where: { id: migrationId, sourceHostId: hostId } })
    : null;
  if (!m) throw new NotFoundError("Migration", migrationId);
  return m;
}

export interface JobUpdate {
  migrationId: string;
  jobId: string | null;
  state: "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
  percentComplete: number;
  errorCode: string | null;
  errorMessage: string | null;
  eventId: number | null;
}

const OUTCOME = { COMPLETED: "SUCCEEDED", FAILED: "FAILED", CANCELLED: "CANCELLED" } as const;

/**
 * A job report from the source agent. Idempotent: percent never goes down, a sample is stored only
 * when percent or state changes. An outcome for a provisional end (AGENT_LOST, cancelled before the
 * claim) corrects the record and says so in the timeline; other reports for ended migrations change nothing.
 */
export async function recordJobUpdate(app: App, hostId: string, update: JobUpdate): Promise<void> {
  const failure =
    update.state === "FAILED" && isUuid(update.migrationId)
      ? await diagnosed(app, update.migrationId, {
          code: update.errorCode ?? "UNKNOWN",
          message: update.errorMessage ?? "the move failed",
          eventId: update.eventId,
        })
      : null;
  await inTransaction(app, async (tx, fx) => {
    const m = await findForAgent(tx, hostId, update.migrationId);
    const percent = Math.max(
      m.percentComplete,
      Math.min(100, Math.max(0, Math.round(update.percentComplete))),
    );
    if (update.state !== "RUNNING") {
      const to = OUTCOME[update.state];
      if (isTerminal(m.state)) {
        if (m.provisional) await correct(tx, fx, m, to, failure, update.jobId);
        return;
      }
      await end(tx, fx, m, "finish", to, failure, to === "SUCCEEDED" ? 100 : percent, describe(to, failure));
      return;
    }
    const jobId = update.jobId ?? m.jobId;
    if (isTerminal(m.state)) {
      // Ferry ended it without Hyper-V's word, and the job is still running: the record follows Hyper-V.
      if (m.provisional) await reopen(tx, fx, m, jobId, percent);
      return;
    }
    if (m.state === "STARTING") {
      await transition(tx, fx, m.id, {
        op: "run",
        to: "RUNNING",
        message: "running (reported by the source agent)",
        data: { percentComplete: percent, jobId },
      });
      return;
    }
    if (percent === m.percentComplete && jobId === m.jobId) return;
    // Progress is not a transition: the state stays, guarded so an ended migration is not touched.
    const { count } = await tx.migration.updateMany({
      where: { id: m.id, state: { in: SLOT_STATES } },
      data: { percentComplete: percent, jobId },
    });
    if (count === 0) return;
    if (percent !== m.percentComplete) {
      await tx.migrationSample.create({
        data: { migrationId: m.id, percentComplete: percent, state: m.state },
      });
    }
    fx.migrations.add(m.id);
  });
}

/** Ends an active migration (finish, reconcile or lose); on success the VM's new host commits with it. */
async function end(
  tx: Tx,
  fx: Effects,
  m: Migration,
  op: "finish" | "reconcile" | "lose",
  to: "SUCCEEDED" | "FAILED" | "CANCELLED",
  failure: Failure | null,
  percent: number | undefined,
  message: string,
) {
  const ended = await transition(tx, fx, m.id, {
    op,
    to,
    message,
    data: {
      ...(percent !== undefined ? { percentComplete: percent } : {}),
      ...(failure ? failureData(failure) : {}),
      // Decided by Ferry without Hyper-V's word: a real outcome may still correct it.
      provisional: op === "lose" || (op === "reconcile" && to === "FAILED"),
    },
  });
  if (ended && to === "SUCCEEDED") await afterSuccess(tx, fx, ended);
  return ended;
}

/** A real outcome after a provisional end: the record follows Hyper-V, and the timeline says so. */
async function correct(
  tx: Tx,
  fx: Effects,
  m: Migration,
  to: "SUCCEEDED" | "FAILED" | "CANCELLED",
  failure: Failure | null,
  jobId: string | null,
) {
  const was = m.failureCode ? `${m.state} (${m.failureCode})` : m.state;
  const corrected = await transition(tx, fx, m.id, {
    op: "correct",
    to,
    where: { provisional: true },
    message: `corrected: the source agent reported the job's real outcome (${describe(to, failure)}); Ferry had recorded ${was}`,
    data: {
      provisional: false,
      jobId: jobId ?? m.jobId,
      ...(to === "SUCCEEDED" ? { percentComplete: 100 } : {}),
      ...(failure ? failureData(failure) : NO_FAILURE),
    },
  });
  if (corrected && to === "SUCCEEDED") await afterSuccess(tx, fx, corrected);
}

/**
 * A "running" report for a provisional end: the job Ferry gave up on is still running in Hyper-V.
 * FAILED (AGENT_LOST, JOB_LOST) becomes RUNNING again; CANCELLED before the claim becomes CANCELLING
 * with a CANCEL_MOVE, so the cancel the client asked for is carried out. Said in the timeline. When
 * the VM has another active migration meanwhile, the record is not reopened (one active migration
 * per VM): the timeline says so once, and the job's outcome corrects the record when it comes.
 */
async function reopen(tx: Tx, fx: Effects, m: Migration, jobId: string | null, percent: number) {
  const was = m.failureCode ? `${m.state} (${m.failureCode})` : m.state;
  const other = await tx.migration.findFirst({
    where: { vmGuid: m.vmGuid, state: { in: ACTIVE_STATES }, NOT: { id: m.id } },
    select: { id: true },
  });
  if (other) {
    const note = `the source agent reports the job still running; not reopened: migration ${other.id} of this VM is active`;
    const noted = await tx.migrationSample.count({ where: { migrationId: m.id, message: note } });
    if (noted === 0) {
      await tx.migrationSample.create({
        data: { migrationId: m.id, percentComplete: m.percentComplete, state: m.state, message: note },
      });
      fx.migrations.add(m.id);
    }
    return;
  }
  const to = m.state === "CANCELLED" ? "CANCELLING" : "RUNNING";
  const reopened = await transition(tx, fx, m.id, {
    op: "reopen",
    to,
    where: { provisional: true },
    message: `reopened: the source agent reports the job still running (${percent} %); Ferry had recorded ${was}${to === "CANCELLING" ? "; cancelling it as requested" : ""}`,
    data: { ...NO_FAILURE, provisional: false, finishedAt: null, jobId, percentComplete: percent },
  });
  if (reopened && to === "CANCELLING") {
    await command(tx, fx, {
      hostId: m.sourceHostId,
      type: "CANCEL_MOVE",
      payload: { migrationId: m.id },
      requestedBy: m.requestedBy,
      migrationId: m.id,
      requestId: m.requestId,
    });
  }
}

/** The VM is on its new host now (with the end state); both agents are asked for fresh inventory. */
async function afterSuccess(tx: Tx, fx: Effects, m: Migration) {
  if (m.destinationHostId) {
    await tx.virtualMachine.updateMany({ where: { vmId: m.vmGuid }, data: { hostId: m.destinationHostId } });
  }
  for (const hostId of new Set([m.sourceHostId, m.destinationHostId].filter((h): h is string => !!h))) {
    const row = await tx.agentCommand.create({
      data: {
        hostId,
        type: "REFRESH_INVENTORY",
        payload: {},
        requestedBy: "ferry",
        migrationId: m.id,
        requestId: m.requestId,
      },
      select: { id: true },
    });
    fx.commands.push({ hostId, commandId: row.id });
    fx.hosts.add(hostId);
  }
}

/** START_MOVE answered: a refusal fails the migration with Hyper-V's error; a job id means it runs. */
export async function recordStartAnswer(
  app: App,
  migrationId: string,
  answer: { failure: Failure | null; jobId: string | null },
) {
  const failure = answer.failure ? await diagnosed(app, migrationId, answer.failure) : null;
  await inTransaction(app, async (tx, fx) => {
    const m = await tx.migration.findUnique({ where: { id: migrationId } });
    if (!m) return;
    if (failure) {
      await end(tx, fx, m, "finish", "FAILED", failure, undefined, describe("FAILED", failure));
      return;
    }
    if (!answer.jobId) return;
    const ran = await transition(tx, fx, m.id, {
      op: "run",
      to: "RUNNING",
      message: "running (started by the source agent)",
      data: { jobId: answer.jobId },
    });
    if (!ran)
      await tx.migration.updateMany({ where: { id: m.id, jobId: null }, data: { jobId: answer.jobId } });
  });
}

/**
 * CANCEL_MOVE found no job on the agent: the move never started there, or ended unseen. Ends as it
 * really ended by the inventory: SUCCEEDED when the VM (or its files) are at the destination, else CANCELLED.
 */
export function reconcileCancel(app: App, migrationId: string) {
  return reconcileNoJob(app, migrationId, "the source agent has no job for this move");
}

/**
 * JOB_STATUS of a quiet RUNNING (or CANCELLING) move: the connected source agent follows no job for
 * it and Hyper-V has none running (and does not show it moved). Ends as it really ended by the
 * inventory: SUCCEEDED when the VM is at its destination; else CANCELLING becomes CANCELLED and
 * RUNNING becomes FAILED JOB_LOST, provisional (a later job report corrects or reopens it).
 */
export async function reconcileLostJob(app: App, migrationId: string) {
  const why = "the connected source agent follows no job for this move and Hyper-V runs none";
  const failure = await diagnosed(app, migrationId, {
    code: "JOB_LOST",
    message: `${why}; the move's outcome is unknown`,
    eventId: null,
  });
  await reconcileNoJob(app, migrationId, why, failure);
}

async function reconcileNoJob(app: App, migrationId: string, why: string, lost: Failure | null = null) {
  await inTransaction(app, async (tx, fx) => {
    const m = await tx.migration.findUnique({ where: { id: migrationId } });
    if (m?.state !== "CANCELLING" && !(lost && m?.state === "RUNNING")) return;
    const vm = await tx.virtualMachine.findUnique({
      where: { vmId: m.vmGuid },
      include: { host: { select: { name: true } }, hardDrives: { select: { path: true } } },
    });
    const moved = vm ? isAtDestination(m, vm) : false;
    if (moved) {
      await end(
        tx,
        fx,
        m,
        "reconcile",
        "SUCCEEDED",
        null,
        100,
        `reconciled: ${why}; the inventory shows it moved`,
      );
    } else if (m.state === "CANCELLING") {
      await end(
        tx,
        fx,
        m,
        "reconcile",
        "CANCELLED",
        null,
        undefined,
        `reconciled: ${why}; the VM did not move`,
      );
    } else {
      await end(
        tx,
        fx,
        m,
        "reconcile",
        "FAILED",
        lost,
        undefined,
        `reconciled: ${why}; the VM did not move: ${describe("FAILED", lost)}`,
      );
    }
  });
}

function isAtDestination(
  m: Migration,
  vm: { hostId: string; path: string; hardDrives: { path: string }[] },
): boolean {
  if (m.kind !== "STORAGE") return vm.hostId === m.destinationHostId;
  const under = (p: string, dir: string) =>
    p.toLowerCase().startsWith(`${dir.toLowerCase().replace(/\\$/, "")}\\`);
  if (m.destinationStoragePath)
    return (
      under(vm.path, m.destinationStoragePath) ||
      vm.path.toLowerCase() === m.destinationStoragePath.toLowerCase()
    );
  const vhds = (m.vhdMoves ?? []) as { destinationPath: string }[];
  const paths = new Set(vm.hardDrives.map((d) => d.path.toLowerCase()));
  return vhds.length > 0 && vhds.every((v) => paths.has(v.destinationPath.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------
// client, sweeper

/**
 * Cancel: QUEUED and STARTING (the agent has not claimed it, so Move-VM was never called and now
 * never will be: its START_MOVE expires) end CANCELLED at once; RUNNING becomes CANCELLING and the
 * source agent gets CANCEL_MOVE. Ended migrations: ConflictError.
 */
export async function requestCancel(
  app: App,
  migrationId: string,
  requestedBy: string,
  audit?: AuditInTx,
): Promise<Migration> {
  return inTransaction(
    app,
    async (tx, fx) => {
      const m = await tx.migration.findUnique({ where: { id: migrationId } });
      if (!m) throw new NotFoundError("Migration", migrationId);
      const ended = await transition(tx, fx, m.id, {
        op: "cancel",
        to: "CANCELLED",
        message: `cancelled by ${requestedBy}${m.state === "STARTING" ? " before the source agent started it" : ""}`,
        data: { provisional: m.state === "STARTING" },
      });
      if (ended) return ended;
      const cancelling = await transition(tx, fx, m.id, {
        op: "cancel",
        to: "CANCELLING",
        message: `cancel requested by ${requestedBy}`,
      });
      if (cancelling) {
        await command(tx, fx, {
          hostId: m.sourceHostId,
          type: "CANCEL_MOVE",
          payload: { migrationId: m.id },
          requestedBy,
          migrationId: m.id,
          // The cancel's own request (the move's id stays on the migration).
          requestId: currentRequestId() ?? m.requestId,
        });
        return cancelling;
      }
      const now = await tx.migration.findUniqueOrThrow({ where: { id: m.id } });
      if (now.state === "CANCELLING") return now;
      throw new ConflictError(`migration already ${now.state.toLowerCase()}`);
    },
    audit,
  );
}

/** The source agent was away too long: FAILED AGENT_LOST, provisional (a real outcome corrects it). */
export async function failLost(app: App, migrationId: string, lost: Failure) {
  const failure = await diagnosed(app, migrationId, lost);
  return inTransaction(app, async (tx, fx) => {
    const m = await tx.migration.findUnique({ where: { id: migrationId } });
    if (!m) return null;
    return end(tx, fx, m, "lose", "FAILED", failure, undefined, describe("FAILED", failure));
  });
}
