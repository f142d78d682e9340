// balancePlan / applyBalancePlan: the greedy plan of balance.ts against the inventory and the queue;
// applying re-plans under the placement lock and queues the moves in the same transaction.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { App } from "../../context.ts";
import { ACTIVE_STATES, type AuditInTx, enqueueIn, inTransaction, type Tx } from "../migrations/machine.ts";
import { NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId, isUuid } from "../shared/ids.ts";
import { type BalanceMove, planBalance } from "./balance.ts";
import type { MoveResult } from "./bulk.ts";
import { loadFleet, loadPlannerVms, lockPlacement } from "./load.ts";
import type { PlannedStep } from "./planned-move.ts";
import { demandOf } from "./planner.ts";

export interface BalanceInput {
  hosts?: readonly (string | number)[] | null;
  maxMoves?: number | null;
}

export interface BalancePlanResult {
  steps: PlannedStep[];
  spreadBefore: number;
  spreadAfter: number;
}

export const MAX_BALANCE_MOVES = 100;
/** Estimates (README): 1 Gbit/s of migration network, 5 % of memory copied again, 1 s of setup. */
const BYTES_PER_SECOND = 1_000_000_000 / 8;
const RECOPY = 1.05;
const SETUP_SECONDS = 1;
/** Hyper-V's default MaximumVirtualMachineMigrations, for the start estimate. */
const SLOTS_PER_HOST = 2;

function parse(input: BalanceInput | null | undefined) {
  const maxMoves = input?.maxMoves ?? 10;
  if (!Number.isInteger(maxMoves) || maxMoves < 1 || maxMoves > MAX_BALANCE_MOVES) {
    throw new ValidationError("input.maxMoves", `must be 1-${MAX_BALANCE_MOVES}`);
  }
  const hosts = input?.hosts?.map((h, i) => decodeId("Host", String(h), `input.hosts.${i}`));
  if (hosts && hosts.length < 2)
    throw new ValidationError("input.hosts", "name at least two hosts, or none for all");
  return { maxMoves, hosts: hosts ? new Set(hosts) : undefined };
}

const seconds = (m: BalanceMove) => SETUP_SECONDS + (Number(demandOf(m.vm)) * RECOPY) / BYTES_PER_SECOND;

/** Start estimates: moves in order, each when both hosts have one of SLOTS_PER_HOST slots free. */
function schedule(moves: BalanceMove[]): PlannedStep[] {
  const free = new Map<string, number[]>();
  const slots = (h: string) => free.get(h) ?? free.set(h, Array(SLOTS_PER_HOST).fill(0)).get(h)!;
  return moves.map((m, i) => {
    const [src, dst] = [slots(m.sourceHostId), slots(m.option.hostId)];
    const s = src.indexOf(Math.min(...src));
    const d = dst.indexOf(Math.min(...dst));
    const start = Math.max(src[s]!, dst[d]!);
    const duration = seconds(m);
    src[s] = start + duration;
    dst[d] = start + duration;
    return {
      order: i + 1,
      vmRowId: m.vm.id,
      vmGuid: "",
      vmName: m.vm.view.name,
      destinationHostId: m.option.hostId,
      kind: "LIVE",
      destinationStoragePath: null,
      estimatedSeconds: Math.round(duration * 10) / 10,
      startsAfterSeconds: Math.round(start * 10) / 10,
      spreadBefore: m.spreadBefore,
      spreadAfter: m.spreadAfter,
    };
  });
}

/** The balance plan against the inventory and queue `reader` sees. */
export async function planBalanceNow(reader: App | Tx, input: BalanceInput | null | undefined) {
  const { maxMoves, hosts } = parse(input);
  const fleet = await loadFleet(reader, { candidates: hosts });
  for (const id of hosts ?? []) {
    if (!isUuid(id) || !fleet.hosts.some((h) => h.view.id === id)) throw new NotFoundError("Host", id);
  }
  const db = (reader as Partial<App>).db?.prisma ?? (reader as Tx);
  const busy = new Set(
    (await db.migration.findMany({ where: { state: { in: ACTIVE_STATES } }, select: { vmGuid: true } })).map(
      (m) => m.vmGuid,
    ),
  );
  const rows = await db.virtualMachine.findMany({
    where: hosts ? { hostId: { in: [...hosts] } } : {},
    select: { id: true, vmId: true },
  });
  const movable = new Set(rows.filter((r) => !busy.has(r.vmId)).map((r) => r.id));
  const vms = (await loadPlannerVms(reader, { id: { in: [...movable] } })).filter((v) => movable.has(v.id));
  const result = planBalance(fleet, vms, maxMoves);
  const guid = new Map(rows.map((r) => [r.id, r.vmId]));
  const steps = schedule(result.moves).map((s) => ({ ...s, vmGuid: guid.get(s.vmRowId) ?? "" }));
  return { steps, spreadBefore: result.spreadBefore, spreadAfter: result.spreadAfter, moves: result.moves };
}

export async function balancePlan(
  app: App,
  input: BalanceInput | null | undefined,
): Promise<BalancePlanResult> {
  const { steps, spreadBefore, spreadAfter } = await planBalanceNow(app, input);
  return { steps, spreadBefore, spreadAfter };
}

/** Re-plans under the placement lock and queues every move of the plan, with the call's audit entry. */
export async function applyBalancePlan(
  app: App,
  input: BalanceInput | null | undefined,
  requestedBy: string,
  audit?: AuditInTx,
): Promise<MoveResult[]> {
  parse(input);
  return inTransaction(
    app,
    async (tx, fx) => {
      await lockPlacement(tx);
      const { steps, moves } = await planBalanceNow(tx, input);
      const results: MoveResult[] = [];
      for (const [i, step] of steps.entries()) {
        const move = moves[i]!;
        const m = await enqueueIn(tx, fx, {
          kind: "LIVE",
          vmRowId: step.vmRowId,
          vmGuid: step.vmGuid,
          vmName: step.vmName,
          sourceHostId: move.sourceHostId,
          destinationHostId: step.destinationHostId,
          destinationStoragePath: null,
          vhdMoves: [],
          requestedBy,
          placementReason: `balancing: spread of memory use ${step.spreadBefore!.toFixed(4)} -> ${step.spreadAfter!.toFixed(4)}; ${move.option.reasons.join("; ")}`,
        });
        results.push({
          index: i,
          vm: encodeGlobalID("VirtualMachine", step.vmRowId),
          migration: m,
          errors: [],
        });
      }
      return results;
    },
    audit,
  );
}
