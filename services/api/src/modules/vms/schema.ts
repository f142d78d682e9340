// Virtual machine inventory types and the `vms` query.
import { builder } from "../../builder.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { VmState as VmStates } from "../../generated/prisma/enums.ts";
import { isUuid, scalarOnly, vmPageAfter } from "./page.ts";

export const VmState = builder.enumType(VmStates, {
  name: "VmState",
  description: "Get-VM State.",
});

builder.prismaObject("HardDrive", {
  description: "A virtual hard disk attached to the VM.",
  fields: (t) => ({
    path: t.exposeString("path", { description: "Path of the VHD/VHDX file." }),
    sizeBytes: t.expose("sizeBytes", { type: "BigInt", description: "File size in bytes." }),
  }),
});

export const VmFilter = builder.inputType("VmFilter", {
  description: "Filters for VMs; all given conditions must hold.",
  fields: (t) => ({
    nameContains: t.string({ description: "Case-insensitive substring of the VM name." }),
    name: t.string({ description: "Exact VM name." }),
    state: t.field({ type: VmState, description: "Only VMs in this state." }),
    host: t.string({ description: "Only VMs on the host with this name." }),
    processorCompatibilityForMigration: t.boolean({
      description: "Only VMs with processor compatibility on (or off).",
    }),
  }),
});

export function vmWhere(
  filter: typeof VmFilter.$inferInput | null | undefined,
): Prisma.VirtualMachineWhereInput {
  if (!filter) return {};
  return {
    ...(filter.nameContains ? { name: { contains: filter.nameContains, mode: "insensitive" } } : {}),
    ...(filter.name != null ? { name: filter.name } : {}),
    ...(filter.state ? { state: filter.state } : {}),
    ...(filter.host != null ? { host: { name: filter.host } } : {}),
    ...(filter.processorCompatibilityForMigration != null
      ? { processorCompatibilityForMigration: filter.processorCompatibilityForMigration }
      : {}),
  };
}

export const VirtualMachineType = builder.prismaNode("VirtualMachine", {
  description: "A Hyper-V virtual machine as its host last reported it.",
  id: { field: "id" },
  fields: (t) => ({
    vmId: t.exposeString("vmId", { description: "Hyper-V's VM GUID; stable across moves." }),
    name: t.exposeString("name", {
      description: "VM name (any characters; shown exactly as Hyper-V reports it).",
    }),
    host: t.relation("host", { description: "The host the VM is on now." }),
    state: t.expose("state", { type: VmState, description: "Power state." }),
    status: t.exposeString("status", {
      nullable: true,
      description: "Hyper-V status text, e.g. Operating normally.",
    }),
    cpuUsage: t.exposeInt("cpuUsage", { description: "CPU usage in percent." }),
    memoryAssignedBytes: t.expose("memoryAssignedBytes", {
      type: "BigInt",
      description: "Memory assigned now, in bytes.",
    }),
    memoryStartupBytes: t.expose("memoryStartupBytes", {
      type: "BigInt",
      description: "Startup memory, in bytes.",
    }),
    uptimeSeconds: t.exposeInt("uptimeSeconds", { description: "Seconds since the VM started; 0 when off." }),
    generation: t.exposeInt("generation", { description: "VM generation (1 or 2)." }),
    configurationVersion: t.exposeString("configurationVersion", {
      description: "Configuration version, e.g. 8.0.",
    }),
    processorCompatibilityForMigration: t.exposeBoolean("processorCompatibilityForMigration", {
      description:
        "Processor compatibility mode (Set-VMProcessor -CompatibilityForMigrationEnabled): hides newer processor features so the VM can move live between CPU generations of one vendor; never between Intel and AMD.",
    }),
    isClustered: t.exposeBoolean("isClustered", {
      description:
        "Get-VM IsClustered: a highly available VM owned by a failover cluster. It moves through the cluster (Move-ClusterVirtualMachineRole), so moveVm refuses it in preflight until Ferry manages clusters.",
    }),
    path: t.exposeString("path", { description: "Folder of the VM's configuration files." }),
    hardDrives: t.relation("hardDrives", {
      description: "Attached virtual disks.",
      query: { orderBy: { position: "asc" } },
    }),
    switchNames: t.exposeStringList("switchNames", {
      description: "Virtual switches the VM's adapters connect to.",
    }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When this record last changed." }),
  }),
});

export const VirtualMachineConnection = builder.connectionObject({
  type: VirtualMachineType,
  name: "VirtualMachineConnection",
  description: "A page of VMs.",
});

builder.queryField("vms", (t) =>
  t.prismaConnection(
    {
      type: "VirtualMachine",
      cursor: "id",
      description: "VMs across all hosts, by name. Page size up to 500.",
      authScopes: { viewer: true },
      args: { filter: t.arg({ type: VmFilter, description: "Filter the VMs." }) },
      totalCount: (_parent, args, ctx) =>
        ctx.app.db.prisma.virtualMachine.count({ where: vmWhere(args.filter) }),
      resolve: async (query, _parent, args, ctx) => {
        const prisma = ctx.app.db.prisma;
        const where = vmWhere(args.filter);
        const orderBy: Prisma.VirtualMachineOrderByWithRelationInput[] = [{ name: "asc" }, { id: "asc" }];
        // Forward pages (`after`) as a keyset on (name, id), served by that index: Prisma's own cursor
        // costs more than reading the page. Other shapes (`before`/`last`) keep Prisma's cursor.
        const { cursor, skip, ...rest } = query as typeof query & { cursor?: { id: string }; skip?: number };
        // The hot read (issue 16): a forward page of scalar columns without a filter is one SQL
        // statement (page.ts); relations and filters take Prisma's path below.
        const take = rest.take ?? 0;
        if (
          !args.filter &&
          take > 0 &&
          scalarOnly(rest) &&
          (cursor ? skip === 1 && isUuid(cursor.id) : !skip)
        ) {
          const rows = await vmPageAfter(ctx.app.db, cursor?.id ?? null, take);
          // No rows after a cursor: it may name a VM that is gone; Prisma's path answers that case.
          if (rows.length > 0 || !cursor) return rows;
        }
        if (cursor && skip === 1 && take > 0) {
          const at = await prisma.virtualMachine.findUnique({
            where: { id: cursor.id },
            select: { name: true },
          });
          if (at) {
            // (name, id) > (cursor's name, id); `name >= ` lets PostgreSQL start the index scan there.
            const after = {
              name: { gte: at.name },
              OR: [{ name: { gt: at.name } }, { name: at.name, id: { gt: cursor.id } }],
            };
            return prisma.virtualMachine.findMany({ ...rest, where: { AND: [where, after] }, orderBy });
          }
        }
        return prisma.virtualMachine.findMany({ ...query, where, orderBy });
      },
    },
    VirtualMachineConnection,
  ),
);
