// Builds the planner's Fleet from the inventory, the queue and the anti-affinity groups. Read the
// queue in the transaction that enqueues what was planned, after lockPlacement, so two placements
// never both count the same free memory (withQueue: the inventory may be read before the lock).
import type { App } from "../../context.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { loadHostViews, toVmView } from "../migrations/loaders.ts";
import { ACTIVE_STATES } from "../migrations/machine.ts";
import { maintenanceHosts } from "./maintenance-hosts.ts";
import { demandOf } from "./planner.ts";
import type { Fleet, PlannerHost, PlannerVm } from "./types.ts";

type Reader = App | Prisma.TransactionClient;
const clientOf = (r: Reader): Prisma.TransactionClient =>
  ((r as Partial<App>).db?.prisma ?? r) as Prisma.TransactionClient;

const PLACEMENT_LOCK = 0x66657272_02;

/** Serializes placement decisions across requests and replicas until the transaction ends. */
export async function lockPlacement(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${PLACEMENT_LOCK})`);
}

/** VMs matching `where`, as the planner reads them. */
export async function loadPlannerVms(
  reader: Reader,
  where: Prisma.VirtualMachineWhereInput,
): Promise<PlannerVm[]> {
  const rows = await clientOf(reader).virtualMachine.findMany({
    where,
    include: { hardDrives: { orderBy: { position: "asc" } } },
    orderBy: { name: "asc" },
  });
  return rows.map((row) => ({ id: row.id, hostId: row.hostId, view: toVmView(row) }));
}

export interface FleetOptions {
  /** Only these hosts are destinations. */
  candidates?: ReadonlySet<string>;
  /** Hosts in maintenance; default: the maintenance module's answer. */
  inMaintenance?: ReadonlySet<string>;
  /**
   * What counts as promised to a host. "queue" (default, placing new moves): every active move to it.
   * "in-flight" (a queued move about to start, start-check.ts): only moves already started there that
   * its last inventory report cannot show yet (started after it); queued moves are checked when they
   * start, and started ones its inventory shows are in its free memory already.
   */
  promised?: "queue" | "in-flight";
  /**
   * Read only these hosts: enough for the checks of a move whose source and destination are known
   * (a caller's destination, a queued move about to start). Not for choosing a destination, nor for
   * scores: the balance reference is then the mean of these hosts, not of the fleet.
   */
  hostIds?: readonly string[];
}

/** The hosts' rows and views as the planner reads them: inventory, which placement's lock does not guard. */
export type FleetHostRows = Awaited<ReturnType<typeof loadHostViews>>;

/** The hosts of `hostIds` (every host when absent), read before taking the lock (see withQueue). */
export function loadFleetHosts(reader: Reader, hostIds?: readonly string[]): Promise<FleetHostRows> {
  return loadHostViews(clientOf(reader), hostIds ? { id: { in: [...hostIds] } } : {});
}

export async function loadFleet(reader: Reader, opts: FleetOptions = {}): Promise<Fleet> {
  const db = clientOf(reader);
  const [hostRows, queue] = await Promise.all([loadFleetHosts(db, opts.hostIds), readQueue(db, opts)]);
  return assemble(hostRows, queue, opts);
}

/**
 * The fleet of `hostRows` (read earlier, e.g. by preflight) with what placement's lock guards read
 * now: the moves promised to those hosts, anti-affinity and maintenance. Inventory changes whether the
 * lock is held or not, so reading it before the lock keeps the lock's hold to the queue's few reads.
 */
export async function withQueue(
  reader: Reader,
  hostRows: FleetHostRows,
  opts: FleetOptions = {},
): Promise<Fleet> {
  return assemble(hostRows, await readQueue(clientOf(reader), opts), opts);
}

type QueueState = Awaited<ReturnType<typeof readQueue>>;

/** Active moves to the hosts (every host when opts.hostIds is absent), anti-affinity and maintenance. */
async function readQueue(db: Prisma.TransactionClient, opts: FleetOptions) {
  const only = opts.hostIds ? [...opts.hostIds] : null;
  const [active, groups] = await Promise.all([
    db.migration.findMany({
      where: {
        state: { in: ACTIVE_STATES },
        kind: { not: "STORAGE" },
        destinationHostId: only ? { in: only } : { not: null },
      },
      select: {
        destinationHostId: true,
        vmGuid: true,
        state: true,
        startedAt: true,
        vm: { include: { hardDrives: true } },
      },
    }),
    db.antiAffinityGroup.findMany({ include: { members: true }, orderBy: { name: "asc" } }),
  ]);
  // Anti-affinity members are kept by Hyper-V VMId; the planner speaks VM row ids.
  const guids = [...new Set(groups.flatMap((g) => g.members.map((m) => m.vmGuid)))];
  const vms = guids.length
    ? await db.virtualMachine.findMany({
        where: { vmId: { in: guids } },
        select: { id: true, vmId: true, hostId: true },
      })
    : [];
  const inMaintenance = opts.inMaintenance ?? (await maintenanceHosts(db));
  return { active, groups, vms, inMaintenance };
}

function assemble(hostRows: FleetHostRows, queue: QueueState, opts: FleetOptions): Fleet {
  const { active, groups, vms, inMaintenance } = queue;
  const promised = new Map<string, bigint>();
  const incoming = new Map<string, number>();
  const reportedAt = new Map(hostRows.map(({ row }) => [row.id, row.inventoryReportedAt?.getTime() ?? 0]));
  const counts = (m: (typeof active)[number]) =>
    opts.promised !== "in-flight" ||
    ((m.state === "STARTING" || m.state === "RUNNING") &&
      (m.startedAt?.getTime() ?? Number.POSITIVE_INFINITY) > (reportedAt.get(m.destinationHostId!) ?? 0));
  for (const m of active) {
    if (!counts(m)) continue;
    const hostId = m.destinationHostId!;
    const need = m.vm ? demandOf({ id: m.vm.id, hostId: m.vm.hostId, view: toVmView(m.vm) }) : 0n;
    promised.set(hostId, (promised.get(hostId) ?? 0n) + need);
    incoming.set(hostId, (incoming.get(hostId) ?? 0) + 1);
  }
  const hosts: PlannerHost[] = hostRows.map(({ row, view }) => ({
    view,
    memoryCapacityBytes: row.memoryCapacityBytes,
    memoryReserveBytes: row.memoryReserveBytes,
    promisedBytes: promised.get(row.id) ?? 0n,
    incomingMoves: incoming.get(row.id) ?? 0,
    virtualMachinePath: row.virtualMachinePath,
  }));
  const byGuid = new Map(vms.map((v) => [v.vmId, v]));
  const locations = new Map<string, string[]>();
  for (const v of vms) locations.set(v.id, [v.hostId]);
  for (const m of active) {
    const v = byGuid.get(m.vmGuid);
    if (v) locations.get(v.id)!.push(m.destinationHostId!);
  }
  return {
    hosts,
    inMaintenance,
    antiAffinityGroups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      vmIds: g.members.map((m) => byGuid.get(m.vmGuid)?.id).filter((id): id is string => !!id),
    })),
    locations,
    candidates: opts.candidates,
  };
}
