// The drain worker (a worker of the composition root, app.ts): moves each open maintenance along.
// Every pass re-reads the database (the state survives API restarts; passes on several replicas are
// safe: transitions are guarded UPDATEs and a VM has at most one active migration, a unique index):
//   PLANNING   at notBefore -> DRAINING (foreign queued moves to the host are cancelled)
//   DRAINING   VMs still on the host without a move are planned against current inventory and
//              queued through the migration queue (which keeps every host's limits); a failed move
//              is re-placed once avoiding the host it failed to, then listed as unmovable; nothing
//              left to move -> IN_MAINTENANCE
//   RETURNING  the VMs that left are queued back when the host can take them -> ENDED
//   any of these -> FAILED when the host's agent has been away longer than AGENT_LOST_FAIL_MS
// Moves queued by a maintenance that was cancelled are cancelled (running ones finish).
import type { App } from "../../context.ts";
import type { Maintenance, Prisma } from "../../generated/prisma/client.ts";
import { isAgentLive } from "../agents/presence.ts";
import {
  ACTIVE_STATES,
  enqueueIn,
  inTransaction,
  type NewMigration,
  requestCancel,
  TERMINAL_STATES,
  type Tx,
} from "../migrations/machine.ts";
import { lockPlacement } from "../placement/load.ts";
import { coalescedPasses } from "../shared/passes.ts";
import { withRequestId } from "../shared/request-scope.ts";
import { evacuate } from "./evacuation.ts";
import { loadEvacuationData } from "./load.ts";
import { publishMaintenance, transitionMaintenance } from "./machine.ts";
import type { PlannedStep, UnmovableEntry } from "./plan-types.ts";
import { applyUnmovablePolicy, expirePowerCommands } from "./power.ts";
import { planReturn } from "./returns.ts";
import { WORKING_STATES } from "./transitions.ts";
import { unmovableOf } from "./types.ts";

const TICK_MS = 1_000;

export interface MaintenanceWorker {
  kick(): void;
  stop(): Promise<void>;
}

const asJson = (entries: UnmovableEntry[]) => entries as unknown as Prisma.InputJsonValue;

/** A guarded change of a maintenance that stays in `state` (progress, lists); false when it moved on. */
async function update(
  app: App,
  m: Maintenance,
  data: Prisma.MaintenanceUpdateManyMutationInput,
): Promise<boolean> {
  const { count } = await app.db.prisma.maintenance.updateMany({ where: { id: m.id, state: m.state }, data });
  if (count > 0) publishMaintenance(app, m.id);
  return count > 0;
}

/** The migration row of a planned step of this maintenance. */
function moveOf(m: Maintenance, sourceHostId: string, step: PlannedStep): NewMigration {
  return {
    kind: step.kind,
    vmRowId: step.vmRowId,
    vmGuid: step.vmGuid,
    vmName: step.vmName,
    sourceHostId,
    destinationHostId: step.destinationHostId,
    destinationStoragePath: step.destinationStoragePath,
    vhdMoves: [],
    requestedBy: m.requestedBy,
    maintenanceId: m.id,
  };
}

/**
 * Plans and queues in one transaction under placement's lock, so a concurrent placement (moveVm
 * without a destination, moveVms, another drain) counts these moves' memory as promised. The change
 * of the maintenance (lists, counts) commits with them, guarded by its state. A VM that got an active
 * migration meanwhile (P2002) rolls it all back: the next pass plans again.
 */
async function planAndQueue(
  app: App,
  m: Maintenance,
  plan: (tx: Tx) => Promise<{ moves: NewMigration[]; data: Prisma.MaintenanceUpdateManyMutationInput }>,
): Promise<void> {
  try {
    const queued = await inTransaction(app, async (tx, fx) => {
      await lockPlacement(tx);
      const { moves, data } = await plan(tx);
      const { count } = await tx.maintenance.updateMany({ where: { id: m.id, state: m.state }, data });
      if (count === 0) return false;
      for (const move of moves) await enqueueIn(tx, fx, move);
      // The counts are derived from the moves themselves (a recount, not an increment): re-running
      // a pass, or a re-placed move, never counts a VM twice.
      await tx.maintenance.update({ where: { id: m.id }, data: await countsOf(tx, m) });
      return true;
    });
    if (queued) publishMaintenance(app, m.id);
  } catch (error) {
    if ((error as { code?: string }).code !== "P2002") throw error;
  }
}

/** VMs the drain moves (its moves off the host) and the return brings back (its moves to it), each once. */
async function countsOf(tx: Tx, m: Maintenance): Promise<{ totalCount: number; returnCount: number }> {
  const vmsOf = async (where: Prisma.MigrationWhereInput) =>
    (await tx.migration.findMany({ where, select: { vmGuid: true }, distinct: ["vmGuid"] })).length;
  return {
    totalCount: await vmsOf({ maintenanceId: m.id, sourceHostId: m.hostId }),
    returnCount: await vmsOf({ maintenanceId: m.id, destinationHostId: m.hostId }),
  };
}

async function startDrain(app: App, m: Maintenance): Promise<Maintenance | null> {
  if (m.notBefore && m.notBefore.getTime() > Date.now()) return null;
  const drained = await app.db.prisma.$transaction((tx) =>
    transitionMaintenance(tx, m.id, { op: "drain", to: "DRAINING", data: { startedAt: new Date() } }),
  );
  if (!drained) return null;
  publishMaintenance(app, m.id);
  // No new move targets a host in maintenance: moves queued to it before are cancelled.
  const queuedToHost = await app.db.prisma.migration.findMany({
    where: {
      state: "QUEUED",
      destinationHostId: m.hostId,
      OR: [{ maintenanceId: null }, { maintenanceId: { not: m.id } }],
    },
    select: { id: true },
  });
  for (const q of queuedToHost) {
    await requestCancel(app, q.id, `maintenance of its destination (${m.requestedBy})`).catch(
      () => undefined,
    );
  }
  return drained;
}

async function drainStep(app: App, m: Maintenance): Promise<void> {
  const prisma = app.db.prisma;
  const vms = await prisma.virtualMachine.findMany({
    where: { hostId: m.hostId },
    select: { id: true, vmId: true, name: true },
  });
  const listed = unmovableOf(m);
  const listedGuids = new Set(listed.map((e) => e.vmGuid));
  // Active moves first, then this drain's history: a move that ends in between shows as ended in
  // the history (so its failure is counted and its host avoided), never as neither.
  const busy = new Set(
    (
      await prisma.migration.findMany({
        where: { vmGuid: { in: vms.map((v) => v.vmId) }, state: { in: ACTIVE_STATES } },
        select: { vmGuid: true },
      })
    ).map((a) => a.vmGuid),
  );
  const ours = await prisma.migration.findMany({
    where: { maintenanceId: m.id, sourceHostId: m.hostId },
    select: {
      vmGuid: true,
      state: true,
      destinationHostId: true,
      failureCode: true,
      failureMessage: true,
      failureRemedy: true,
    },
    orderBy: { seq: "asc" },
  });
  // Still there after the history was read (a move that succeeded meanwhile took its VM away).
  const still = new Set(
    (await prisma.virtualMachine.findMany({ where: { hostId: m.hostId }, select: { id: true } })).map(
      (v) => v.id,
    ),
  );
  const toPlace = new Set<string>();
  const avoid = new Map<string, Set<string>>();
  const givenUp: UnmovableEntry[] = [];
  for (const vm of vms.filter((v) => still.has(v.id))) {
    if (listedGuids.has(vm.vmId) || busy.has(vm.vmId)) continue;
    const failed = ours.filter(
      (o) => o.vmGuid === vm.vmId && TERMINAL_STATES.includes(o.state) && o.state !== "SUCCEEDED",
    );
    if (failed.length >= 2) {
      const last = failed.at(-1)!;
      givenUp.push({
        vmRowId: vm.id,
        vmGuid: vm.vmId,
        vmName: vm.name,
        checks: [
          {
            name: "move",
            status: "FAIL",
            message: `The move failed twice (re-placed once): ${last.failureCode ?? last.state}: ${last.failureMessage ?? "cancelled"}`,
            remedy: last.failureRemedy ?? "See the VM's migrations for the failures.",
            code: last.failureCode,
          },
        ],
        action: m.unmovablePolicy,
      });
      continue;
    }
    toPlace.add(vm.id);
    if (failed.length === 1 && failed[0]!.destinationHostId)
      avoid.set(vm.id, new Set([failed[0]!.destinationHostId]));
  }

  const unmovable = [...listed, ...givenUp];
  if (toPlace.size > 0 || givenUp.length > 0) {
    await planAndQueue(app, m, async (tx) => {
      if (toPlace.size === 0) return { moves: [], data: { unmovable: asJson(unmovable) } };
      const data = await loadEvacuationData(tx, m.hostId);
      const plan = evacuate(data, {
        hostId: m.hostId,
        destinationHostIds: m.destinationHostIds,
        policy: m.unmovablePolicy,
        inMaintenance: data.fleet.inMaintenance,
        only: toPlace,
        avoid,
      });
      if (avoid.size > 0) {
        app.logger.info(
          {
            maintenanceId: m.id,
            replaced: plan.steps.filter((s) => avoid.has(s.vmRowId)).map((s) => s.vmName),
          },
          "re-placing moves that failed, avoiding the hosts they failed on",
        );
      }
      // Not listed while an agent is away (an API restart, a reconnect): planned again next pass.
      const waiting = new Set(plan.waitingForAgents);
      if (waiting.size > 0)
        app.logger.debug({ maintenanceId: m.id, waiting: waiting.size }, "VMs wait for agents to reconnect");
      return {
        moves: plan.steps.map((step) => moveOf(m, m.hostId, step)),
        data: {
          unmovable: asJson([...unmovable, ...plan.unmovable.filter((u) => !waiting.has(u.vmRowId))]),
          estimatedSeconds: m.estimatedSeconds ?? plan.estimatedSeconds,
        },
      };
    });
    return;
  }
  // Drained when every VM still on the host is listed and nothing of ours (or anyone's) is moving it.
  const left = vms.filter((v) => still.has(v.id) && !unmovable.some((e) => e.vmGuid === v.vmId));
  const moving = ours.some((o) => ACTIVE_STATES.includes(o.state)) || vms.some((v) => busy.has(v.vmId));
  if (left.length === 0 && !moving) {
    // SAVE / SHUT_DOWN: what could not leave is saved or shut down first (power.ts).
    if (!(await applyUnmovablePolicy(app, m))) return;
    const done = await prisma.$transaction((tx) =>
      transitionMaintenance(tx, m.id, { op: "drained", to: "IN_MAINTENANCE" }),
    );
    if (done) publishMaintenance(app, m.id);
  }
}

async function returnStep(app: App, m: Maintenance): Promise<void> {
  const prisma = app.db.prisma;
  const left = await prisma.migration.findMany({
    where: { maintenanceId: m.id, sourceHostId: m.hostId, state: "SUCCEEDED" },
    select: { vmGuid: true },
    distinct: ["vmGuid"],
  });
  const returns = await prisma.migration.findMany({
    where: { maintenanceId: m.id, destinationHostId: m.hostId },
    select: { vmGuid: true, state: true },
  });
  const listed = unmovableOf(m);
  const settled = new Set([...returns.map((r) => r.vmGuid), ...listed.map((e) => e.vmGuid)]);
  const guids = left.map((l) => l.vmGuid).filter((g) => !settled.has(g));
  // A return that failed is not tried again: the VM is listed with the failure.
  const failedBack = await prisma.migration.findMany({
    where: {
      maintenanceId: m.id,
      destinationHostId: m.hostId,
      state: { in: ["FAILED", "CANCELLED"] },
      vmGuid: { notIn: listed.map((e) => e.vmGuid) },
    },
    select: {
      vmGuid: true,
      vmRowId: true,
      vmName: true,
      state: true,
      failureCode: true,
      failureMessage: true,
      failureRemedy: true,
    },
  });
  const notBack: UnmovableEntry[] = failedBack
    .filter((f, i, all) => all.findIndex((o) => o.vmGuid === f.vmGuid) === i)
    .map((f) => ({
      vmRowId: f.vmRowId ?? "",
      vmGuid: f.vmGuid,
      vmName: f.vmName,
      checks: [
        {
          name: "return",
          status: "FAIL" as const,
          message: `The move back failed: ${f.failureCode ?? f.state}: ${f.failureMessage ?? "cancelled"}`,
          remedy: f.failureRemedy ?? "Move it back with moveVm when the host can take it.",
          code: f.failureCode,
        },
      ],
      action: "STAY_RUNNING" as const,
    }));
  if (notBack.length > 0) {
    if (!(await update(app, m, { unmovable: asJson([...listed, ...notBack]) }))) return;
    listed.push(...notBack);
  }
  const active = new Set(
    (
      await prisma.migration.findMany({
        where: { vmGuid: { in: guids }, state: { in: ACTIVE_STATES } },
        select: { vmGuid: true },
      })
    ).map((a) => a.vmGuid),
  );
  const candidates = guids.filter((g) => !active.has(g));
  if (candidates.length > 0) {
    await planAndQueue(app, m, async (tx) => {
      const plan = planReturn(await loadEvacuationData(tx, m.hostId, { vmId: { in: candidates } }), m.hostId);
      const waiting = new Set(plan.waitingForAgents);
      return {
        moves: plan.steps.map((step) => moveOf(m, step.sourceHostId, step)),
        data: {
          unmovable: asJson([...listed, ...plan.refused.filter((r) => !waiting.has(r.vmRowId))]),
          estimatedSeconds: plan.estimatedSeconds,
        },
      };
    });
    return;
  }
  const moving = returns.some((r) => ACTIVE_STATES.includes(r.state)) || active.size > 0;
  if (!moving) {
    const done = await prisma.$transaction((tx) =>
      transitionMaintenance(tx, m.id, { op: "returned", to: "ENDED" }),
    );
    if (done) publishMaintenance(app, m.id);
  }
}

/** Moves queued by maintenances that were cancelled (or ended) are cancelled; running ones finish. */
async function cancelLeftovers(app: App): Promise<void> {
  const queued = await app.db.prisma.migration.findMany({
    where: {
      state: "QUEUED",
      maintenanceId: { not: null },
      maintenance: { is: { state: { in: ["CANCELLED", "FAILED", "ENDED"] } } },
    },
    select: { id: true, maintenance: { select: { requestedBy: true } } },
  });
  for (const q of queued) {
    await requestCancel(app, q.id, `maintenance cancelled (${q.maintenance?.requestedBy ?? "?"})`).catch(
      () => undefined,
    );
  }
}

/**
 * A drain or return whose host's agent has been away this long FAILS: nothing can move off (or onto)
 * a host nobody manages, and whoever waits for it should know. Moves already running finish (Hyper-V
 * runs them); queued ones are cancelled (cancelLeftovers); saves and shutdowns not delivered yet expire.
 * Longer than a restart or a network blip, and than SAVE_VM/STOP_VM's deadline (10 minutes).
 */
export const AGENT_LOST_FAIL_MS = 15 * 60_000;

/** Fails `m` (guarded) when its host's agent has been away longer than AGENT_LOST_FAIL_MS; true when it did. */
async function failIfAgentLost(app: App, m: Maintenance): Promise<boolean> {
  if (m.state === "PLANNING" && m.notBefore && m.notBefore.getTime() > Date.now()) return false;
  const host = await app.db.prisma.host.findUnique({
    where: { id: m.hostId },
    select: { name: true, agentConnected: true, agentLastSeenAt: true },
  });
  if (!host || isAgentLive(host)) return false;
  const since = host.agentLastSeenAt ?? m.requestedAt;
  if (Date.now() - since.getTime() < AGENT_LOST_FAIL_MS) return false;
  const minutes = Math.round(AGENT_LOST_FAIL_MS / 60_000);
  const failureMessage = `The agent of ${host.name} has been away since ${since.toISOString()} (more than ${minutes} minutes): the ${m.state === "RETURNING" ? "return" : "drain"} cannot go on. Moves already running finish; queued ones are cancelled. Start a new maintenance once the agent is back.`;
  const failed = await app.db.prisma.$transaction(async (tx) => {
    const done = await transitionMaintenance(tx, m.id, {
      op: "fail",
      to: "FAILED",
      data: { failureMessage },
    });
    if (done) await expirePowerCommands(tx, done);
    return done;
  });
  if (!failed) return false;
  app.logger.warn({ maintenanceId: m.id, host: host.name }, "maintenance failed: its host's agent is lost");
  publishMaintenance(app, m.id);
  return true;
}

/** One pass over every open maintenance. */
export async function maintenanceOnce(app: App): Promise<void> {
  const open = await app.db.prisma.maintenance.findMany({
    where: { state: { in: WORKING_STATES } },
    orderBy: { requestedAt: "asc" },
  });
  for (const found of open) {
    try {
      if (await failIfAgentLost(app, found)) continue;
      // The drain's and the return's moves and commands carry the id of the request that asked for them.
      const step = async () => {
        const m = found.state === "PLANNING" ? await startDrain(app, found) : found;
        if (m?.state === "DRAINING") await drainStep(app, m);
        else if (m?.state === "RETURNING") await returnStep(app, m);
      };
      await (found.requestId ? withRequestId(found.requestId, step) : step());
    } catch (error) {
      app.logger.error({ err: error, maintenanceId: found.id }, "maintenance pass failed");
    }
  }
  await cancelLeftovers(app);
}

export function startMaintenanceWorker(app: App): MaintenanceWorker {
  const passes = coalescedPasses(app, "maintenance", () => maintenanceOnce(app));
  let stopped = false;
  // A move ended or was queued (this replica), a maintenance was asked for (any replica), or the timer.
  const unlisten = app.hooks.on("slotFreed", passes.run);
  const changes = app.pubsub.subscribe("maintenancesChanged")[Symbol.asyncIterator]();
  void (async () => {
    while (!stopped) {
      const next = await changes.next().catch(() => ({ done: true }) as const);
      if (next.done) return;
      passes.run();
    }
  })();
  const timer = setInterval(passes.run, TICK_MS);
  passes.run();
  return {
    kick: passes.run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      unlisten();
      await changes.return?.();
      await passes.stop();
    },
  };
}
