// Loads the inventory views preflight needs, in as few queries as possible.
import type { App } from "../../context.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { isAgentLive } from "../agents/presence.ts";
import type { HostView, VmView } from "./preflight.ts";

const hostInclude = {
  migrationSettings: true,
  virtualSwitches: { select: { name: true } },
  firewallRules: { select: { name: true, enabled: true } },
  volumes: { select: { root: true, freeBytes: true } },
  migrationNetworks: { select: { subnet: true } },
  networkAdapters: { select: { ipAddresses: true } },
} as const;

/** The client to read with: the app's, or a transaction's (the scheduler reads inside its own). */
type Reader = App | Prisma.TransactionClient;
const clientOf = (r: Reader): Prisma.TransactionClient =>
  ((r as Partial<App>).db?.prisma ?? r) as Prisma.TransactionClient;

type HostRow = Prisma.HostGetPayload<{ include: typeof hostInclude }>;

function toHostView(h: HostRow): HostView {
  return {
    id: h.id,
    name: h.name,
    fqdn: h.fqdn,
    domain: h.domain,
    cpuVendor: h.cpuVendor,
    memoryAvailableBytes: h.memoryAvailableBytes,
    supportedVmVersions: h.supportedVmVersions,
    delegations: h.delegations,
    delegationsKnown: h.delegationsKnown,
    agentConnected: isAgentLive(h),
    settings: h.migrationSettings,
    migrationSubnets: h.migrationNetworks.map((n) => n.subnet),
    adapterAddresses: h.networkAdapters.flatMap((a) => a.ipAddresses),
    switches: h.virtualSwitches.map((s) => s.name),
    firewallRules: h.firewallRules,
    volumes: h.volumes,
  };
}

export async function loadHostView(reader: Reader, hostId: string): Promise<HostView | null> {
  const h = await clientOf(reader).host.findUnique({ where: { id: hostId }, include: hostInclude });
  return h ? toHostView(h) : null;
}

/** Every host (matching `where`) as preflight reads it, with its row (placement's fleet). */
export async function loadHostViews(reader: Reader, where: Prisma.HostWhereInput = {}) {
  const rows = await clientOf(reader).host.findMany({
    where,
    include: hostInclude,
    orderBy: { name: "asc" },
  });
  return rows.map((row) => ({ row, view: toHostView(row) }));
}

/** A VM row (with its disks) as preflight reads it. */
export function toVmView(vm: Prisma.VirtualMachineGetPayload<{ include: { hardDrives: true } }>): VmView {
  return {
    name: vm.name,
    state: vm.state,
    memoryAssignedBytes: vm.memoryAssignedBytes,
    memoryStartupBytes: vm.memoryStartupBytes,
    isClustered: vm.isClustered,
    configurationVersion: vm.configurationVersion,
    processorCompatibilityForMigration: vm.processorCompatibilityForMigration,
    path: vm.path,
    hardDrives: vm.hardDrives.map((d) => ({ path: d.path, sizeBytes: d.sizeBytes })),
    switchNames: vm.switchNames,
  };
}

export async function loadVm(reader: Reader, vmRowId: string) {
  const vm = await clientOf(reader).virtualMachine.findUnique({
    where: { id: vmRowId },
    include: { hardDrives: { orderBy: { position: "asc" } } },
  });
  if (!vm) return null;
  const view = toVmView(vm);
  return { row: vm, view };
}
