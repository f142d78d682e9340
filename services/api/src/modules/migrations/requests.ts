// moveVm / moveVmStorage / migrationPreflight: validate, preflight, enqueue. Nothing is sent to a
// host here: the scheduler starts queued moves within the hosts' limits.
import type { App } from "../../context.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { compareOnSource } from "./compare.ts";
import { PreflightFailedError } from "./errors.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import { ACTIVE_STATES, type AuditInTx, enqueue } from "./machine.ts";
import { isWindowsPath, type MoveRequest, type PreflightReport, runPreflight } from "./preflight.ts";

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

/** Move-VMStorage -Vhds moves disks of this VM: a source path it does not have is a bad input. */
function checkVhdsAttached(p: Plan, vmName: string, drives: { path: string }[]) {
  const attached = new Set(drives.map((d) => d.path.toLowerCase()));
  p.vhds.forEach((v, i) => {
    if (!attached.has(v.sourcePath.toLowerCase())) {
      throw new ValidationError(
        `input.vhds.${i}.sourcePath`,
        `${v.sourcePath} is not a disk of ${vmName} (its disks: ${drives.map((d) => d.path).join(", ") || "none"})`,
      );
    }
  });
}

/** Same idempotency key, same request: what the migration row records of the input. */
function sameRequest(m: Migration, p: Plan): boolean {
  const vhds = (m.vhdMoves ?? []) as { sourcePath: string; destinationPath: string }[];
  return (
    m.kind === p.kind &&
    m.vmRowId === p.vmRowId &&
    m.destinationHostId === p.destinationHostId &&
    m.destinationStoragePath === p.destinationStoragePath &&
    vhds.length === p.vhds.length &&
    vhds.every(
      (v, i) => v.sourcePath === p.vhds[i]!.sourcePath && v.destinationPath === p.vhds[i]!.destinationPath,
    )
  );
}

/** The migration an idempotency key already names: returned for the same input, ConflictError for another. */
async function byKey(app: App, key: string | null | undefined, p: Plan): Promise<Migration | null> {
  if (!key) return null;
  const existing = await app.db.prisma.migration.findUnique({ where: { idempotencyKey: key } });
  if (existing && !sameRequest(existing, p)) {
    throw new ConflictError(
      `idempotencyKey "${key}" was already used for another request (migration of ${existing.vmName}); use a new key`,
    );
  }
  return existing;
}

async function preflightFor(app: App, p: Plan, requestedBy: string) {
  const vm = await loadVm(app, p.vmRowId);
  if (!vm) throw new NotFoundError("VirtualMachine", p.vmRowId);
  checkVhdsAttached(p, vm.row.name, vm.view.hardDrives);
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
 * Queues a move after its preflight passes (with the call's audit entry in the same transaction).
 * With an idempotency key a retry returns the migration of the first call and starts nothing new.
 */
export async function requestMove(
  app: App,
  input: MoveVmArgs,
  requestedBy: string,
  storageOnly: boolean,
  audit?: AuditInTx,
): Promise<Migration> {
  const p = plan(input, storageOnly);
  const key = input.idempotencyKey ?? null;
  const first = await byKey(app, key, p);
  if (first) return first;
  try {
    return await queue(app, p, key, requestedBy, audit);
  } catch (error) {
    // A concurrent retry with the same key may have queued it meanwhile (the VM's active migration
    // conflict, the key's unique index): it answers with that migration, not with an error.
    const again = error instanceof AppError || isUniqueViolation(error) ? await byKey(app, key, p) : null;
    if (again) return again;
    if (isUniqueViolation(error)) throw new ConflictError("this VM already has an active migration");
    throw error;
  }
}

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === "P2002";

async function queue(
  app: App,
  p: Plan,
  key: string | null,
  requestedBy: string,
  audit?: AuditInTx,
): Promise<Migration> {
  const prisma = app.db.prisma;
  const vmGuid = (
    await prisma.virtualMachine.findUnique({ where: { id: p.vmRowId }, select: { vmId: true } })
  )?.vmId;
  if (vmGuid && (await prisma.migration.count({ where: { vmGuid, state: { in: ACTIVE_STATES } } })) > 0) {
    throw new ConflictError("this VM already has an active migration");
  }
  const { vm, source, report } = await preflightFor(app, p, requestedBy);
  if (!report.ok) throw new PreflightFailedError(report);
  // The VM's one active migration is also a unique index: a concurrent request fails with P2002.
  return enqueue(
    app,
    {
      kind: p.kind,
      vmRowId: vm.row.id,
      vmGuid: vm.row.vmId,
      vmName: vm.row.name,
      sourceHostId: source.id,
      destinationHostId: p.destinationHostId,
      destinationStoragePath: p.destinationStoragePath,
      vhdMoves: p.vhds,
      requestedBy,
      idempotencyKey: key,
    },
    audit,
  );
}
