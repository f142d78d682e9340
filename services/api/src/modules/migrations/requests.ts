// moveVm / moveVmStorage / migrationPreflight: validate, preflight, enqueue. Nothing is sent to a
// host here: the scheduler starts queued moves within the hosts' limits.
import type { App } from "../../context.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { compareOnSource } from "./compare.ts";
import { PreflightFailedError } from "./errors.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import { isWindowsPath, type MoveRequest, type PreflightReport, runPreflight } from "./preflight.ts";
import { ACTIVE_STATES, recordSample, requestScheduling } from "./progress.ts";

export interface MoveVmArgs {
  vm: string;
  destinationHost?: string | null;
  includeStorage?: boolean | null;
  destinationStoragePath?: string | null;
  vhds?: { sourcePath: string; destinationPath: string }[] | null;
  idempotencyKey?: string | null;
}

interface Plan {
  kind: MoveRequest["kind"];
  vmRowId: string;
  destinationHostId: string | null;
  destinationStoragePath: string | null;
  vhds: { sourcePath: string; destinationPath: string }[];
}

const fileName = (p: string) => p.split("\\").pop()!.toLowerCase();

/** Checks the input's shape; ValidationError naming the field, before anything is read or written. */
function plan(input: MoveVmArgs, storageOnly: boolean): Plan {
  const vmRowId = decodeId("VirtualMachine", input.vm, "input.vm");
  if (
    input.idempotencyKey != null &&
    (input.idempotencyKey.length === 0 || input.idempotencyKey.length > 200)
  ) {
    throw new ValidationError("input.idempotencyKey", "must be 1-200 characters");
  }
  const path = input.destinationStoragePath ?? null;
  if (path !== null && !isWindowsPath(path)) {
    throw new ValidationError(
      "input.destinationStoragePath",
      "must be an absolute Windows path (D:\\VMs\\name) or a UNC path (\\\\server\\share\\name)",
    );
  }
  if (storageOnly) {
    const vhds = input.vhds ?? [];
    if ((path === null) === (vhds.length === 0)) {
      throw new ValidationError(
        "input.destinationStoragePath",
        "give either destinationStoragePath or vhds, not both and not neither",
      );
    }
    vhds.forEach((v, i) => {
      for (const [key, value] of [
        ["sourcePath", v.sourcePath],
        ["destinationPath", v.destinationPath],
      ] as const) {
        if (!isWindowsPath(value))
          throw new ValidationError(`input.vhds.${i}.${key}`, "must be an absolute Windows or UNC path");
      }
      if (fileName(v.sourcePath) !== fileName(v.destinationPath)) {
        throw new ValidationError(
          `input.vhds.${i}.destinationPath`,
          "the file name must be the same as the source's (Move-VMStorage -Vhds)",
        );
      }
    });
    return { kind: "STORAGE", vmRowId, destinationHostId: null, destinationStoragePath: path, vhds };
  }
  if (!input.destinationHost) throw new ValidationError("input.destinationHost", "required");
  const destinationHostId = decodeId("Host", input.destinationHost, "input.destinationHost");
  if (input.includeStorage && path === null) {
    throw new ValidationError("input.destinationStoragePath", "required with includeStorage");
  }
  if (!input.includeStorage && path !== null) {
    throw new ValidationError(
      "input.includeStorage",
      "destinationStoragePath is only used with includeStorage: true",
    );
  }
  return {
    kind: input.includeStorage ? "LIVE_WITH_STORAGE" : "LIVE",
    vmRowId,
    destinationHostId,
    destinationStoragePath: path,
    vhds: [],
  };
}

async function preflightFor(app: App, p: Plan, requestedBy: string) {
  const vm = await loadVm(app, p.vmRowId);
  if (!vm) throw new NotFoundError("VirtualMachine", p.vmRowId);
  const source = await loadHostView(app, vm.row.hostId);
  if (!source) throw new NotFoundError("Host", vm.row.hostId);
  const dest = p.destinationHostId ? await loadHostView(app, p.destinationHostId) : null;
  if (p.destinationHostId && !dest) throw new NotFoundError("Host", p.destinationHostId);
  const request: MoveRequest = {
    kind: p.kind,
    destinationStoragePath: p.destinationStoragePath,
    vhdDestinations: p.vhds.map((v) => v.destinationPath),
    vhdSources: p.vhds.map((v) => v.sourcePath),
  };
  const compare =
    dest && dest.id !== source.id && source.agentConnected
      ? await compareOnSource(app, {
          sourceHostId: source.id,
          vmGuid: vm.row.vmId,
          destinationHost: dest.name,
          requestedBy,
        })
      : null;
  return { vm, source, dest, report: runPreflight(vm.view, source, dest, request, compare) };
}

export async function preflight(app: App, input: MoveVmArgs, requestedBy: string): Promise<PreflightReport> {
  return (await preflightFor(app, plan(input, false), requestedBy)).report;
}

/**
 * Queues a move after its preflight passes. With an idempotency key a retry returns the migration
 * of the first call and starts nothing new.
 */
export async function requestMove(
  app: App,
  input: MoveVmArgs,
  requestedBy: string,
  storageOnly: boolean,
): Promise<Migration> {
  const p = plan(input, storageOnly);
  const prisma = app.db.prisma;
  if (input.idempotencyKey) {
    const existing = await prisma.migration.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (existing) return existing;
  }
  const vmGuid = (
    await prisma.virtualMachine.findUnique({ where: { id: p.vmRowId }, select: { vmId: true } })
  )?.vmId;
  if (vmGuid && (await prisma.migration.count({ where: { vmGuid, state: { in: ACTIVE_STATES } } })) > 0) {
    throw new ConflictError("this VM already has an active migration");
  }
  const { vm, source, report } = await preflightFor(app, p, requestedBy);
  if (!report.ok) throw new PreflightFailedError(report);
  let migration: Migration;
  try {
    migration = await prisma.migration.create({
      data: {
        kind: p.kind,
        vmRowId: vm.row.id,
        vmGuid: vm.row.vmId,
        vmName: vm.row.name,
        sourceHostId: source.id,
        destinationHostId: p.destinationHostId,
        destinationStoragePath: p.destinationStoragePath,
        vhdMoves: p.vhds,
        requestedBy,
        idempotencyKey: input.idempotencyKey ?? null,
      },
    });
  } catch (error) {
    if ((error as { code?: string }).code !== "P2002") throw error;
    // A concurrent call won the idempotency key, or the VM already has an active migration.
    const byKey = input.idempotencyKey
      ? await prisma.migration.findUnique({ where: { idempotencyKey: input.idempotencyKey } })
      : null;
    if (byKey) return byKey;
    throw new ConflictError(`${vm.row.name} already has an active migration`);
  }
  await recordSample(app, migration.id, { percentComplete: 0, state: "QUEUED", message: "queued" });
  app.pubsub.publish("migrationsChanged", { migrationId: migration.id });
  app.pubsub.publish("migrationChanged", migration.id, { at: Date.now() });
  requestScheduling(app);
  return migration;
}
