// moveVms: many moves in one request, planned together (auto-placed VMs spread, memory counted across
// the batch), one result per move. A bad item refuses only itself unless `atomic`; then nothing is
// queued. Everything that is queued commits in one transaction with the call's audit entry.
import type { App } from "../../context.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { PreflightFailedError } from "../migrations/errors.ts";
import { toVmView } from "../migrations/loaders.ts";
import { ACTIVE_STATES, type AuditInTx, enqueueIn, inTransaction } from "../migrations/machine.ts";
import { byKey, type MoveVmArgs, type Plan, plan, preflightFor, withChecks } from "../migrations/requests.ts";
import { AppError, ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { movePlacement, noPlacementChecks, placementRequest } from "./decide.ts";
import { loadFleet, lockPlacement } from "./load.ts";
import { commit, emptyLedger, planPlacements, scoreOption } from "./planner.ts";

export const MAX_BULK_MOVES = 500;

export interface MoveResult {
  /** Position in the request's moves. */
  index: number;
  /** The VM id as given. */
  vm: string;
  migration: Migration | null;
  errors: AppError[];
}

/** Nothing was queued (atomic with a refused move, or every move refused); the results say why. */
export class MovesRefusedError extends ConflictError {
  constructor(
    message: string,
    readonly results: MoveResult[],
  ) {
    super(message);
  }
}

/** A ValidationError of one item names its place in the request (input.moves.3.vm). */
function forItem(error: unknown, index: number): AppError {
  if (error instanceof ValidationError) {
    return new ValidationError(`input.moves.${index}.${error.field.replace(/^input\./, "")}`, error.message);
  }
  if (error instanceof AppError) return error;
  throw error;
}

/** Ends the queueing transaction without a change (nothing, or nothing atomic, could be queued). */
class Rollback extends Error {
  constructor(readonly late: [Item, AppError][]) {
    super("rollback");
  }
}

interface Item {
  index: number;
  input: MoveVmArgs;
  plan?: Plan;
  placementReason?: string | null;
  result: MoveResult;
}

export async function requestMoves(
  app: App,
  moves: MoveVmArgs[],
  atomic: boolean,
  requestedBy: string,
  audit?: AuditInTx,
): Promise<MoveResult[]> {
  if (moves.length === 0) throw new ValidationError("input.moves", "give at least one move");
  if (moves.length > MAX_BULK_MOVES)
    throw new ValidationError("input.moves", `at most ${MAX_BULK_MOVES} moves`);
  const items: Item[] = moves.map((input, index) => ({
    index,
    input,
    result: { index, vm: input.vm, migration: null, errors: [] },
  }));
  const refuse = (item: Item, error: unknown) => item.result.errors.push(forItem(error, item.index));
  const pending = () => items.filter((i) => i.result.errors.length === 0 && !i.result.migration);

  // Shape, idempotency keys, duplicates, the VMs and their active moves.
  const seen = new Map<string, number>();
  for (const item of items) {
    try {
      item.plan = plan(item.input, false);
      const first = await byKey(app, item.input.idempotencyKey, item.plan);
      if (first) {
        item.result.migration = first;
        continue;
      }
      const earlier = seen.get(item.plan.vmRowId);
      if (earlier !== undefined) throw new ValidationError("input.vm", `the same VM as move ${earlier}`);
      seen.set(item.plan.vmRowId, item.index);
      const vm = await app.db.prisma.virtualMachine.findUnique({ where: { id: item.plan.vmRowId } });
      if (!vm) throw new NotFoundError("VirtualMachine", item.plan.vmRowId);
      if (
        (await app.db.prisma.migration.count({ where: { vmGuid: vm.vmId, state: { in: ACTIVE_STATES } } })) >
        0
      )
        throw new ConflictError(`${vm.name} already has an active migration`);
    } catch (error) {
      refuse(item, error);
    }
  }

  // Plan the rest together, then preflight each (with Compare-VM) against its planned host.
  const fleet = await loadFleet(app);
  const vmsById = new Map(
    (
      await app.db.prisma.virtualMachine.findMany({
        where: { id: { in: pending().map((i) => i.plan!.vmRowId) } },
        include: { hardDrives: { orderBy: { position: "asc" } } },
      })
    ).map((v) => [v.id, v]),
  );
  const batch = pending();
  const placed = planPlacements(
    fleet,
    batch.map((i) => {
      const row = vmsById.get(i.plan!.vmRowId)!;
      return placementRequest(i.plan!, { row, view: toVmView(row) });
    }),
  );
  batch.forEach((item, k) => {
    const p = placed[k]!;
    if (!p.chosen) {
      const checks = item.plan!.auto ? noPlacementChecks(p) : (p.options[0]?.checks ?? []);
      refuse(item, new PreflightFailedError(withChecks(checks.length ? checks : noPlacementChecks(p))));
      return;
    }
    item.plan = {
      ...item.plan!,
      destinationHostId: p.chosen.hostId,
      destinationStoragePath: p.chosen.destinationStoragePath,
    };
    item.placementReason = item.plan.auto ? p.reason : null;
  });
  await Promise.all(
    pending().map(async (item) => {
      try {
        const checked = await preflightFor(app, item.plan!, requestedBy, movePlacement);
        if (!checked.report.ok) throw new PreflightFailedError(checked.report);
      } catch (error) {
        refuse(item, error);
      }
    }),
  );

  const refused = items.filter((i) => i.result.errors.length > 0);
  if (atomic && refused.length > 0) {
    for (const item of pending()) {
      item.result.errors.push(
        new ConflictError(
          `not queued: the request is atomic and move ${refused.map((r) => r.index).join(", ")} was refused`,
        ),
      );
    }
    throw new MovesRefusedError(
      `nothing was queued: ${refused.length} of ${items.length} moves were refused`,
      results(),
    );
  }
  if (pending().length === 0) {
    if (items.some((i) => i.result.migration)) return results();
    throw new MovesRefusedError(`nothing was queued: every move was refused`, results());
  }

  // Queue under the placement lock, re-checking the batch against the queue as it is now. The
  // transaction may be retried (write conflicts): its outcome is applied to the results afterwards.
  let outcome: { queued: [Item, Migration][]; late: [Item, AppError][] };
  try {
    outcome = await inTransaction(app, async (tx, fx) => {
      await lockPlacement(tx);
      const now = await loadFleet(tx);
      const ledger = emptyLedger();
      const queued: [Item, Migration][] = [];
      const late: [Item, AppError][] = [];
      for (const item of pending()) {
        const p = item.plan!;
        const row = vmsById.get(p.vmRowId)!;
        const req = placementRequest(p, { row, view: toVmView(row) });
        const source = now.hosts.find((h) => h.view.id === row.hostId);
        const dest = now.hosts.find((h) => h.view.id === p.destinationHostId);
        const option = source && dest ? scoreOption(now, req, source, dest, ledger, !p.auto) : null;
        const active = await tx.migration.count({
          where: { vmGuid: row.vmId, state: { in: ACTIVE_STATES } },
        });
        if (!option?.ok || active > 0) {
          late.push([
            item,
            active > 0
              ? new ConflictError(`${row.name} already has an active migration`)
              : new PreflightFailedError(withChecks(option?.checks ?? [])),
          ]);
          if (atomic) throw new Rollback(late);
          continue;
        }
        commit(ledger, req, dest!.view.id);
        const m = await enqueueIn(tx, fx, {
          kind: p.kind,
          vmRowId: row.id,
          vmGuid: row.vmId,
          vmName: row.name,
          sourceHostId: row.hostId,
          destinationHostId: p.destinationHostId,
          destinationStoragePath: p.destinationStoragePath,
          vhdMoves: [],
          requestedBy,
          idempotencyKey: item.input.idempotencyKey ?? null,
          notBefore: p.notBefore,
          placementReason: item.placementReason ?? null,
        });
        queued.push([item, m]);
      }
      if (queued.length === 0) throw new Rollback(late);
      await audit?.(tx);
      return { queued, late };
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
    for (const [item, e] of error.late) refuse(item, e);
    for (const item of pending()) {
      item.result.errors.push(
        new ConflictError("not queued: the request is atomic and another move no longer fit the queue"),
      );
    }
    throw new MovesRefusedError("nothing was queued: the queue changed while planning", results());
  }
  for (const [item, error] of outcome.late) refuse(item, error);
  for (const [item, m] of outcome.queued) item.result.migration = m;
  return results();

  function results(): MoveResult[] {
    return items.map((i) => i.result);
  }
}
