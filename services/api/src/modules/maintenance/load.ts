// Loads what an evacuation plan needs: placement's Fleet (placement/load.ts: hosts as preflight reads
// them, memory promised to active moves, reserves, anti-affinity groups), the VMs to place with their
// Hyper-V ids, and each host's migration links and slot limit (for the estimates).
import type { App } from "../../context.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { loadFleet, loadPlannerVms } from "../placement/load.ts";
import type { Fleet, PlannerVm } from "../placement/types.ts";
import type { LinkFacts } from "./estimate.ts";
import { hostsInMaintenance } from "./query.ts";

type Reader = App | Prisma.TransactionClient;
const clientOf = (r: Reader): Prisma.TransactionClient =>
  ((r as Partial<App>).db?.prisma ?? r) as Prisma.TransactionClient;

export interface EvacuationData {
  fleet: Fleet;
  links: Map<string, LinkFacts>;
  /** maximumVirtualMachineMigrations per host (Hyper-V's default 2 when unreported). */
  vmSlots: Map<string, number>;
  /** The VMs asked for (default: those on the host), with their Hyper-V ids. */
  vms: (PlannerVm & { vmGuid: string })[];
}

/** The fleet, and the VMs matching `vmWhere` (default: those on `hostId`). */
export async function loadEvacuationData(
  reader: Reader,
  hostId: string,
  vmWhere: Prisma.VirtualMachineWhereInput = { hostId },
): Promise<EvacuationData> {
  const db = clientOf(reader);
  // One after the other: `reader` may be a transaction (one connection).
  const fleet = await loadFleet(db, { inMaintenance: await hostsInMaintenance(db) });
  const planned = await loadPlannerVms(db, vmWhere);
  const guids = await db.virtualMachine.findMany({ where: vmWhere, select: { id: true, vmId: true } });
  const rows = await db.host.findMany({
    select: {
      id: true,
      migrationSettings: {
        select: {
          maximumVirtualMachineMigrations: true,
          performanceOption: true,
          useAnyNetworkForMigration: true,
        },
      },
      migrationNetworks: { select: { subnet: true } },
      networkAdapters: { select: { linkSpeedBps: true, rdmaCapable: true, ipAddresses: true } },
    },
  });
  const links = new Map<string, LinkFacts>();
  const vmSlots = new Map<string, number>();
  for (const row of rows) {
    links.set(row.id, {
      performanceOption: row.migrationSettings?.performanceOption ?? "COMPRESSION",
      useAnyNetworkForMigration: row.migrationSettings?.useAnyNetworkForMigration ?? true,
      migrationSubnets: row.migrationNetworks.map((n) => n.subnet),
      adapters: row.networkAdapters.map((a) => ({
        linkSpeedBps: Number(a.linkSpeedBps),
        rdmaCapable: a.rdmaCapable,
        ipAddresses: a.ipAddresses,
      })),
    });
    vmSlots.set(row.id, row.migrationSettings?.maximumVirtualMachineMigrations ?? 2);
  }
  const guidOf = new Map(guids.map((g) => [g.id, g.vmId]));
  const vms = planned.filter((vm) => guidOf.has(vm.id)).map((vm) => ({ ...vm, vmGuid: guidOf.get(vm.id)! }));
  return { fleet, links, vmSlots, vms };
}
