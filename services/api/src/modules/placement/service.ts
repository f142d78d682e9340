// Placement's mutations and queries: anti-affinity groups, host memory reserves, placementOptions.
// Every change commits with its audit entry (auditedTransaction).
import type { App, Context } from "../../context.ts";
import type { AntiAffinityGroup, Host } from "../../generated/prisma/client.ts";
import { auditedTransaction } from "../audit/service.ts";
import { loadVm } from "../migrations/loaders.ts";
import { NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId, isUuid } from "../shared/ids.ts";
import { loadFleet } from "./load.ts";
import { placementOptions } from "./planner.ts";
import type { PlacementOption } from "./types.ts";

type Audit = { operation: string; target?: string | null; input?: unknown };

/** Every candidate host for the VM now, best first. */
export async function optionsFor(
  app: App,
  vmId: string,
  includeStorage: boolean,
): Promise<PlacementOption[]> {
  const rowId = decodeId("VirtualMachine", vmId, "vm");
  const vm = isUuid(rowId) ? await loadVm(app, rowId) : null;
  if (!vm) throw new NotFoundError("VirtualMachine", vmId);
  const fleet = await loadFleet(app);
  return placementOptions(fleet, {
    vm: { id: vm.row.id, hostId: vm.row.hostId, view: vm.view },
    destinationHostId: null,
    includeStorage,
  });
}

const MAX_GROUP_VMS = 1000;

/** Creates the group, or replaces the VMs of the group with that name. */
export async function setAntiAffinityGroup(
  ctx: Context,
  audit: Audit,
  input: { name: string; vms: readonly (string | number)[] },
): Promise<AntiAffinityGroup> {
  const name = input.name.trim();
  if (name.length === 0 || name.length > 100)
    throw new ValidationError("input.name", "must be 1-100 characters");
  const ids = [...new Set(input.vms.map((v, i) => decodeId("VirtualMachine", String(v), `input.vms.${i}`)))];
  if (ids.length < 2) throw new ValidationError("input.vms", "name at least two different VMs");
  if (ids.length > MAX_GROUP_VMS) throw new ValidationError("input.vms", `at most ${MAX_GROUP_VMS} VMs`);
  const vms = await ctx.app.db.prisma.virtualMachine.findMany({
    where: { id: { in: ids.filter(isUuid) } },
    select: { id: true, vmId: true },
  });
  const missing = ids.find((id) => !vms.some((v) => v.id === id));
  if (missing) throw new NotFoundError("VirtualMachine", missing);
  return auditedTransaction(ctx, audit, async (tx) => {
    const group = await tx.antiAffinityGroup.upsert({ where: { name }, create: { name }, update: { name } });
    await tx.antiAffinityMember.deleteMany({ where: { groupId: group.id } });
    await tx.antiAffinityMember.createMany({ data: vms.map((v) => ({ groupId: group.id, vmGuid: v.vmId })) });
    // Touch updatedAt even when only the members changed.
    return tx.antiAffinityGroup.update({ where: { id: group.id }, data: { updatedAt: new Date() } });
  });
}

export async function deleteAntiAffinityGroup(ctx: Context, audit: Audit, id: string): Promise<string> {
  const rowId = decodeId("AntiAffinityGroup", id, "id");
  if (!isUuid(rowId)) throw new NotFoundError("AntiAffinityGroup", id);
  return auditedTransaction(ctx, audit, async (tx) => {
    const { count } = await tx.antiAffinityGroup.deleteMany({ where: { id: rowId } });
    if (count === 0) throw new NotFoundError("AntiAffinityGroup", id);
    return id;
  });
}

/** Sets Host.memoryReserveBytes on every host given (all or none). */
export async function setHostMemoryReserve(
  ctx: Context,
  audit: Audit,
  input: { hosts: readonly (string | number)[]; bytes: bigint },
): Promise<Host[]> {
  if (input.hosts.length === 0) throw new ValidationError("input.hosts", "name at least one host");
  if (input.bytes < 0n) throw new ValidationError("input.bytes", "must be 0 or more");
  const ids = [...new Set(input.hosts.map((h, i) => decodeId("Host", String(h), `input.hosts.${i}`)))];
  const hosts = await ctx.app.db.prisma.host.findMany({ where: { id: { in: ids.filter(isUuid) } } });
  const missing = ids.find((id) => !hosts.some((h) => h.id === id));
  if (missing) throw new NotFoundError("Host", missing);
  const tooBig = hosts.find((h) => h.memoryCapacityBytes > 0n && input.bytes >= h.memoryCapacityBytes);
  if (tooBig) {
    throw new ValidationError(
      "input.bytes",
      `must be less than ${tooBig.name}'s memory (${tooBig.memoryCapacityBytes} bytes)`,
    );
  }
  return auditedTransaction(ctx, audit, async (tx) => {
    await tx.host.updateMany({ where: { id: { in: ids } }, data: { memoryReserveBytes: input.bytes } });
    return tx.host.findMany({ where: { id: { in: ids } }, orderBy: { name: "asc" } });
  });
}
