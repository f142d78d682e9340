// moveVm / moveVmStorage / migrationPreflight: validate, preflight, enqueue. Nothing is sent to a
// host here: the scheduler starts queued moves within the hosts' limits.
import type { App } from "../../context.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { compareOnSource } from "./compare.ts";
import { PreflightFailedError } from "./errors.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import { ACTIVE_STATES, type AuditInTx, enqueueIn, inTransaction, type Tx } from "./machine.ts";
import {
  isWindowsPath,
  type MoveRequest,
  type PreflightCheck,
  type PreflightReport,
  runPreflight,
} from "./preflight.ts";

export interface MoveVmArgs {
  vm: string;
  destinationHost?: string | null;
  includeStorage?: boolean | null;
  destinationStoragePath?: string | null;
  vhds?: { sourcePath: string; destinationPath: string }[] | null;
  idempotencyKey?: string | null;
  /** Not started before this instant (queued and visible as scheduled until then). */
  notBefore?: Date | null;
}

export interface Plan {
  kind: MoveRequest["kind"];
  vmRowId: string;
  destinationHostId: string | null;
  destinationStoragePath: string | null;
  vhds: { sourcePath: string; destinationPath: string }[];
  /** No destination given: placement chooses it. */
  auto: boolean;
  notBefore: Date | null;
}

const fileName = (p: string) => p.split("\\").pop()!.toLowerCase();

/** Checks the input's shape; ValidationError naming the field, before anything is read or written. */
export function plan(input: MoveVmArgs, storageOnly: boolean): Plan {
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
    return {
      kind: "STORAGE",
      vmRowId,
      destinationHostId: null,
      destinationStoragePath: path,
      vhds,
      auto: false,
      notBefore: input.notBefore ?? null,
    };
  }
  const destinationHostId = input.destinationHost
    ? decodeId("Host", input.destinationHost, "input.destinationHost")
    : null;
  if (input.includeStorage && path === null && destinationHostId !== null) {
    throw new ValidationError(
      "input.destinationStoragePath",
      "required with includeStorage and destinationHost (auto-placement uses the destination's default VM folder)",
    );
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
    auto: destinationHostId === null,
    notBefore: input.notBefore ?? null,
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
    // An auto-placed move records the host placement chose.
    (p.auto || m.destinationHostId === p.destinationHostId) &&
    (p.auto || m.destinationStoragePath === p.destinationStoragePath) &&
    vhds.length === p.vhds.length &&
    vhds.every(
      (v, i) => v.sourcePath === p.vhds[i]!.sourcePath && v.destinationPath === p.vhds[i]!.destinationPath,
    )
  );
}

/** The migration an idempotency key already names: returned for the same input, ConflictError for another. */
export async function byKey(app: App, key: string | null | undefined, p: Plan): Promise<Migration | null> {
  if (!key) return null;
  const existing = await app.db.prisma.migration.findUnique({ where: { idempotencyKey: key } });
  if (existing && !sameRequest(existing, p)) {
    throw new ConflictError(
      `idempotencyKey "${key}" was already used for another request (migration of ${existing.vmName}); use a new key`,
    );
  }
  return existing;
}

/** A VM as loadVm reads it. */
export type LoadedVm = NonNullable<Awaited<ReturnType<typeof loadVm>>>;

/** Placement's checks of one planned move against the queue as `reader` sees it now. */
export type PlacementCheck = (reader: App | Tx) => Promise<PreflightCheck[]>;

/** Where placement sends an auto-placed move, and why. */
export interface Placed {
  destinationHostId: string;
  destinationStoragePath: string | null;
  reason: string;
}

/**
 * What placement does for a live move (modules/placement implements it; migrations does not depend
 * on placement). `reader` is the app, or the enqueue transaction after `lock`.
 */
export interface MovePlacement {
  /** The best destination for an auto-placed move now, or the checks that say why there is none. */
  choose(reader: App | Tx, vm: LoadedVm, p: Plan): Promise<Placed | { checks: PreflightCheck[] }>;
  /**
   * Reads the hosts of the move to p's destination and returns placement's own checks of it
   * (maintenance, queued memory, reserve, anti-affinity), which read the queue each time they run:
   * run them once for preflight, and again under `lock` in the enqueue transaction.
   */
  prepare(reader: App | Tx, vm: LoadedVm, p: Plan): Promise<PlacementCheck>;
  /** Serializes placement decisions until `tx` ends. */
  lock(tx: Tx): Promise<void>;
}

export const withChecks = (checks: PreflightCheck[]): PreflightReport => ({
  ok: checks.every((c) => c.status !== "FAIL"),
  checks,
});

/**
 * Preflight of one request: for a live move without a destination, placement chooses it first
 * (the returned plan names it, with the reason); a live move gets placement's checks too.
 */
export async function preflightFor(
  app: App,
  requested: Plan,
  requestedBy: string,
  placement?: MovePlacement,
) {
  let p = requested;
  const vm = await loadVm(app, p.vmRowId);
  if (!vm) throw new NotFoundError("VirtualMachine", p.vmRowId);
  checkVhdsAttached(p, vm.row.name, vm.view.hardDrives);
  const source = await loadHostView(app, vm.row.hostId);
  if (!source) throw new NotFoundError("Host", vm.row.hostId);
  let placementReason: string | null = null;
  if (p.kind !== "STORAGE" && p.auto && !p.destinationHostId) {
    if (!placement) throw new ValidationError("input.destinationHost", "required");
    const placed = await placement.choose(app, vm, p);
    if ("checks" in placed) {
      return {
        vm,
        source,
        dest: null,
        plan: p,
        placementReason,
        placementCheck: null,
        report: withChecks(placed.checks),
      };
    }
    p = {
      ...p,
      destinationHostId: placed.destinationHostId,
      destinationStoragePath: placed.destinationStoragePath,
    };
    placementReason = placed.reason;
  }
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
  const checks = runPreflight(vm.view, source, dest, request, compare).checks;
  const placementCheck =
    placement && p.kind !== "STORAGE" && dest && dest.id !== source.id
      ? await placement.prepare(app, vm, p)
      : null;
  if (placementCheck) checks.push(...(await placementCheck(app)));
  return { vm, source, dest, plan: p, placementReason, placementCheck, report: withChecks(checks) };
}

export async function preflight(
  app: App,
  input: MoveVmArgs,
  requestedBy: string,
  placement?: MovePlacement,
): Promise<PreflightReport> {
  return (await preflightFor(app, plan(input, false), requestedBy, placement)).report;
}

/**
 * Queues a move after its preflight passes (with the call's audit entry, when given, in the same
 * transaction). With an idempotency key a retry returns the migration of the first call and starts
 * nothing new.
 */
export async function requestMove(
  app: App,
  input: MoveVmArgs,
  requestedBy: string,
  storageOnly: boolean,
  audit?: AuditInTx,
  placement?: MovePlacement,
): Promise<Migration> {
  const p = plan(input, storageOnly);
  const key = input.idempotencyKey ?? null;
  const first = await byKey(app, key, p);
  if (first) return first;
  try {
    return await queue(app, p, key, requestedBy, audit, placement);
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
  requested: Plan,
  key: string | null,
  requestedBy: string,
  audit?: AuditInTx,
  placement?: MovePlacement,
): Promise<Migration> {
  const prisma = app.db.prisma;
  const vmGuid = (
    await prisma.virtualMachine.findUnique({ where: { id: requested.vmRowId }, select: { vmId: true } })
  )?.vmId;
  if (vmGuid && (await prisma.migration.count({ where: { vmGuid, state: { in: ACTIVE_STATES } } })) > 0) {
    throw new ConflictError("this VM already has an active migration");
  }
  const checked = await preflightFor(app, requested, requestedBy, placement);
  const { vm, source, report } = checked;
  if (!report.ok) throw new PreflightFailedError(report);
  return inTransaction(
    app,
    async (tx, fx) => {
      let p = checked.plan;
      let placementReason = checked.placementReason;
      if (placement && p.kind !== "STORAGE") {
        // Under the placement lock, against the queue as it is now: two requests never both count
        // the same free memory. The hosts' inventory was read by preflight (the lock does not guard it).
        await placement.lock(tx);
        const now = checked.placementCheck ? await checked.placementCheck(tx) : [];
        if (now.some((c) => c.status === "FAIL")) {
          const again = p.auto ? await placement.choose(tx, vm, { ...p, destinationHostId: null }) : null;
          if (!again || "checks" in again) {
            const others = report.checks.filter((c) => !now.some((n) => n.name === c.name));
            throw new PreflightFailedError(withChecks([...others, ...(again ? again.checks : now)]));
          }
          p = {
            ...p,
            destinationHostId: again.destinationHostId,
            destinationStoragePath: again.destinationStoragePath,
          };
          placementReason = `${again.reason} (re-planned: the first choice no longer fit once other moves were queued)`;
        }
      }
      const m = await enqueueIn(tx, fx, {
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
        notBefore: p.notBefore,
        placementReason,
      });
      return m;
    },
    audit,
  );
}
