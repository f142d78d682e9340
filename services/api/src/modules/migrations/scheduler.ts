// The central queue: starts queued moves in FIFO order while both hosts have a free slot
// (MaximumVirtualMachineMigrations on source and destination, MaximumStorageMigrations on the host
// that copies storage). One transaction under an advisory lock decides, so concurrent ticks (on
// this replica or others) never exceed a limit nor start a migration twice.
import type { App } from "../../context.ts";
import type { Migration, MigrationKind } from "../../generated/prisma/client.ts";
import { STALE_AFTER_MS } from "../agents/presence.ts";

const SCHEDULER_LOCK = 0x66657272_01;
const SAFETY_TICK_MS = 2_000;

type SlotKind = "vm" | "storage";

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

export function startPayload(m: Migration) {
  return {
    migrationId: m.id,
    kind: m.kind satisfies MigrationKind,
    vmId: m.vmGuid,
    destinationHost: null as string | null,
    includeStorage: m.kind === "LIVE_WITH_STORAGE",
    destinationStoragePath: m.destinationStoragePath,
    vhds: m.vhdMoves,
  };
}

/** One scheduling pass. Returns the migrations it started. */
export async function scheduleOnce(app: App): Promise<string[]> {
  const prisma = app.db.prisma;
  const started = await prisma.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${SCHEDULER_LOCK})`);
    const queued = await tx.migration.findMany({
      where: { state: "QUEUED" },
      orderBy: { seq: "asc" },
      take: 1000,
    });
    if (queued.length === 0) return [];
    const active = await tx.migration.findMany({
      where: { state: { in: ["RUNNING", "CANCELLING"] } },
      select: { kind: true, sourceHostId: true, destinationHostId: true },
    });
    const hostIds = [
      ...new Set(
        [...queued, ...active]
          .flatMap((m) => [m.sourceHostId, m.destinationHostId])
          .filter((h): h is string => !!h),
      ),
    ];
    const hosts = new Map(
      (await tx.host.findMany({ where: { id: { in: hostIds } }, include: { migrationSettings: true } })).map(
        (h) => [h.id, h],
      ),
    );
    const used = new Map<string, number>();
    const key = (hostId: string, slot: SlotKind) => `${hostId}/${slot}`;
    for (const m of active)
      for (const s of slotsOf(m)) used.set(key(s.hostId, s.slot), (used.get(key(s.hostId, s.slot)) ?? 0) + 1);
    const limit = (hostId: string, slot: SlotKind) => {
      const settings = hosts.get(hostId)?.migrationSettings;
      return slot === "vm"
        ? (settings?.maximumVirtualMachineMigrations ?? 2)
        : (settings?.maximumStorageMigrations ?? 2);
    };
    const now = Date.now();
    const connected = (hostId: string) => {
      const h = hosts.get(hostId);
      return !!h?.agentConnected && !!h.agentLastSeenAt && now - h.agentLastSeenAt.getTime() < STALE_AFTER_MS;
    };
    // A move that must wait blocks its hosts for later moves: FIFO per host, no overtaking.
    const blocked = new Set<string>();
    const startedNow: Migration[] = [];
    for (const m of queued) {
      const slots = slotsOf(m);
      const free =
        slots.every(
          (s) =>
            !blocked.has(key(s.hostId, s.slot)) &&
            (used.get(key(s.hostId, s.slot)) ?? 0) < limit(s.hostId, s.slot),
        ) && connected(m.sourceHostId);
      if (!free) {
        for (const s of slots) blocked.add(key(s.hostId, s.slot));
        continue;
      }
      for (const s of slots) used.set(key(s.hostId, s.slot), (used.get(key(s.hostId, s.slot)) ?? 0) + 1);
      const destinationHost = m.destinationHostId ? (hosts.get(m.destinationHostId)?.name ?? null) : null;
      const running = await tx.migration.update({
        where: { id: m.id },
        data: { state: "RUNNING", startedAt: new Date() },
      });
      await tx.agentCommand.create({
        data: {
          hostId: m.sourceHostId,
          type: "START_MOVE",
          payload: { ...startPayload(running), destinationHost },
          requestedBy: m.requestedBy,
          migrationId: m.id,
        },
      });
      await tx.migrationSample.create({
        data: { migrationId: m.id, percentComplete: 0, state: "RUNNING", message: "started" },
      });
      startedNow.push(running);
    }
    return startedNow;
  });
  // Published only after the transaction committed (messages are hints; the rows are the truth).
  for (const m of started) {
    const command = await prisma.agentCommand.findFirst({
      where: { migrationId: m.id, type: "START_MOVE" },
      select: { id: true },
    });
    if (command) app.pubsub.publish("agentCommand", m.sourceHostId, { commandId: command.id });
    app.pubsub.publish("migrationChanged", m.id, { at: Date.now() });
    app.pubsub.publish("migrationsChanged", { migrationId: m.id });
  }
  return started.map((m) => m.id);
}

export interface Scheduler {
  /** Asks for a pass soon (coalesced). */
  kick(): void;
  stop(): Promise<void>;
}

export function startScheduler(app: App): Scheduler {
  const log = app.logger.child({ module: "scheduler" });
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  const run = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = app.inflight
      .track(scheduleOnce(app))
      .then(() => undefined)
      .catch((error) => log.error({ err: error }, "scheduling pass failed"))
      .finally(() => {
        running = null;
        if (again) {
          again = false;
          run();
        }
      });
  };
  // Queued moves and freed slots ask for a pass through this App's hooks (progress.ts requestScheduling).
  const unlisten = app.hooks.on("slotFreed", run);
  const timer = setInterval(run, SAFETY_TICK_MS);
  run();
  return {
    kick: run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      unlisten();
      await running;
    },
  };
}
