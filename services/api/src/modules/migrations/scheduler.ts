// The central queue: starts queued moves in FIFO order while both hosts have a free slot
// (MaximumVirtualMachineMigrations on source and destination, MaximumStorageMigrations on the host
// that copies storage). One transaction under an advisory lock decides, so concurrent ticks (on
// this replica or others) never exceed a limit nor start a migration twice.
import type { App } from "../../context.ts";
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import { isAgentLive } from "../agents/presence.ts";
import { coalescedPasses } from "../shared/passes.ts";
import { loadHostView } from "./loaders.ts";
import { type Failure, inTransaction, refuseStart, SLOT_STATES, start } from "./machine.ts";
import { type HostView, participantHostIds } from "./preflight.ts";
import { startCheckFailure, WAIT } from "./start-checks.ts";

const SCHEDULER_LOCK = 0x66657272_01;
const SAFETY_TICK_MS = 2_000;

type SlotKind = "vm" | "storage";

/**
 * More checks of the moves about to start, inside the scheduler's transaction: placement's rules
 * (destination in maintenance, memory, reserve, anti-affinity), which the composition root (app.ts)
 * passes in (migrations does not import placement). Returns the failure of each move that may not start.
 */
export type StartCheck = (tx: Prisma.TransactionClient, moves: Migration[]) => Promise<Map<string, Failure>>;

/** Which slots a move takes on which hosts. */
export function slotsOf(
  m: Pick<Migration, "kind" | "sourceHostId" | "destinationHostId">,
): { hostId: string; slot: SlotKind }[] {
  if (m.kind === "STORAGE") return [{ hostId: m.sourceHostId, slot: "storage" }];
  return [
    { hostId: m.sourceHostId, slot: "vm" },
    { hostId: m.destinationHostId!, slot: "vm" },
  ];
}

type SlotMove = Pick<Migration, "id" | "kind" | "sourceHostId" | "destinationHostId"> & {
  /** Not to start before this instant (moveVm notBefore); absent or null: as soon as slots allow. */
  notBefore?: Date | null;
};

/** A scheduled move (notBefore in the future) waits without holding back the moves behind it. */
export const isDue = (m: { notBefore?: Date | null }, now: number) =>
  !m.notBefore || m.notBefore.getTime() <= now;

/**
 * The slot choice, pure: which queued moves (FIFO) may start now, given the moves holding slots,
 * each host's limits and whether each taking part host's agent is live (preflight's
 * participantHostIds). A move that waits for a slot blocks its hosts' slots for later moves (no
 * overtaking); a move not yet due (notBefore after `now`) or whose agents are not all live is
 * skipped and blocks nothing (it waits in the queue; an agent that is away holds back only the
 * moves it takes part in).
 */
export function chooseStarts<M extends SlotMove>(
  queued: M[],
  holding: SlotMove[],
  limit: (hostId: string, slot: SlotKind) => number,
  agentLive: (hostId: string) => boolean,
  now: number = Date.now(),
): M[] {
  const key = (hostId: string, slot: SlotKind) => `${hostId}/${slot}`;
  const used = new Map<string, number>();
  const take = (m: SlotMove) => {
    for (const s of slotsOf(m)) used.set(key(s.hostId, s.slot), (used.get(key(s.hostId, s.slot)) ?? 0) + 1);
  };
  holding.forEach(take);
  const blocked = new Set<string>();
  const chosen: M[] = [];
  for (const m of queued) {
    if (!isDue(m, now) || !participantHostIds(m).every(agentLive)) continue;
    const slots = slotsOf(m);
    const free = slots.every(
      (s) =>
        !blocked.has(key(s.hostId, s.slot)) &&
        (used.get(key(s.hostId, s.slot)) ?? 0) < limit(s.hostId, s.slot),
    );
    if (!free) {
      for (const s of slots) blocked.add(key(s.hostId, s.slot));
      continue;
    }
    take(m);
    chosen.push(m);
  }
  return chosen;
}

/** The columns the slot choice needs: every due queued move is read, however long the queue. */
const SLOT_COLUMNS = {
  id: true,
  kind: true,
  sourceHostId: true,
  destinationHostId: true,
  notBefore: true,
} as const;

/** Numbers this process's passes (SchedulerRound.pass). */
let passCount = 0;

/**
 * One scheduling pass, in rounds of at most FERRY_SCHEDULER_STARTS_PER_ROUND starts (one transaction
 * each). Each chosen move re-runs its host-state checks: if one now fails the move ends FAILED
 * (nothing sent to Hyper-V) and another round is run for the slot it would have taken; if an agent
 * went away since the choice, the move stays queued for a later pass. Returns the migrations it started.
 */
export async function scheduleOnce(app: App, extraCheck?: StartCheck): Promise<string[]> {
  const startsPerRound = app.config.schedulerStartsPerRound;
  const started: string[] = [];
  const pass = ++passCount;
  for (let round = 1; round <= 100; round++) {
    const t0 = performance.now();
    const { startedNow, refused, capped } = await inTransaction(app, async (tx, fx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${SCHEDULER_LOCK})`);
      const now = Date.now();
      // Only due moves, and all of them: a long run of scheduled (notBefore) moves or of moves whose
      // agents are away at the head of the queue must not hide a due move behind them.
      const queued = await tx.migration.findMany({
        where: { state: "QUEUED", OR: [{ notBefore: null }, { notBefore: { lte: new Date(now) } }] },
        orderBy: { seq: "asc" },
        select: SLOT_COLUMNS,
      });
      if (queued.length === 0) return { startedNow: [], refused: 0, capped: false };
      const holding = await tx.migration.findMany({
        where: { state: { in: SLOT_STATES } },
        select: { id: true, kind: true, sourceHostId: true, destinationHostId: true },
      });
      const hostIds = [
        ...new Set(
          [...queued, ...holding]
            .flatMap((m) => [m.sourceHostId, m.destinationHostId])
            .filter((h): h is string => !!h),
        ),
      ];
      const hosts = new Map(
        (
          await tx.host.findMany({ where: { id: { in: hostIds } }, include: { migrationSettings: true } })
        ).map((h) => [h.id, h]),
      );
      const choice = chooseStarts(
        queued,
        holding,
        (hostId, slot) => {
          const settings = hosts.get(hostId)?.migrationSettings;
          return slot === "vm"
            ? (settings?.maximumVirtualMachineMigrations ?? 2)
            : (settings?.maximumStorageMigrations ?? 2);
        },
        (hostId) => {
          const h = hosts.get(hostId);
          return !!h && isAgentLive(h, now);
        },
        now,
      );
      const capped = choice.length > startsPerRound;
      const ids = choice.slice(0, startsPerRound).map((m) => m.id);
      // The whole rows of the moves about to start, in queue order (a move cancelled since is gone).
      const rows = new Map(
        (await tx.migration.findMany({ where: { id: { in: ids }, state: "QUEUED" } })).map((m) => [m.id, m]),
      );
      const chosen = ids.map((id) => rows.get(id)).filter((m): m is Migration => !!m);
      const startedNow: string[] = [];
      let refused = 0;
      // Host rows as the start checks read them, once per round (not once per move and host).
      const views = new Map<string, Promise<HostView | null>>();
      const hostView = (id: string) => {
        if (!views.has(id)) views.set(id, loadHostView(tx, id));
        return views.get(id)!;
      };
      const placementFailures = extraCheck && chosen.length > 0 ? await extraCheck(tx, chosen) : null;
      for (const m of chosen) {
        const hostFailure = await startCheckFailure(tx, m, hostView);
        if (hostFailure === WAIT) continue;
        const failure = hostFailure ?? placementFailures?.get(m.id) ?? null;
        if (failure) {
          if (await refuseStart(tx, fx, m.id, failure)) refused++;
          continue;
        }
        const destinationHost = m.destinationHostId ? (hosts.get(m.destinationHostId)?.name ?? null) : null;
        if (await start(tx, fx, m, destinationHost)) startedNow.push(m.id);
      }
      return { startedNow, refused, capped };
    });
    started.push(...startedNow);
    const seconds = (performance.now() - t0) / 1000;
    await app.hooks.emit("schedulerRound", {
      pass,
      round,
      started: startedNow.length,
      refused,
      capped,
      seconds,
    });
    // A refused move freed the slot it was given: later moves may take it now. A capped round left
    // moves that may start for the next one.
    if (refused === 0 && !capped) break;
  }
  return started;
}

export interface Scheduler {
  /** Asks for a pass soon (coalesced). */
  kick(): void;
  stop(): Promise<void>;
}

export function startScheduler(app: App, extraCheck?: StartCheck): Scheduler {
  const passes = coalescedPasses(app, "scheduler", () => scheduleOnce(app, extraCheck));
  // Queued moves and freed slots ask for a pass through this App's hooks (machine.ts); so does an
  // agent that connects (moves wait for their agents).
  const unlisten = [app.hooks.on("slotFreed", passes.run), app.hooks.on("agentPresenceChanged", passes.run)];
  const timer = setInterval(passes.run, SAFETY_TICK_MS);
  passes.run();
  return {
    kick: passes.run,
    async stop() {
      clearInterval(timer);
      for (const u of unlisten) u();
      await passes.stop();
    },
  };
}
