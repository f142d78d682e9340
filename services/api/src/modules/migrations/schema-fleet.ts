// Migration fields of the fleet-operations issue: scheduling (notBefore), placement's reason and
// progress estimates (estimates.ts; documented as estimates).
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { type Estimate, estimate } from "./estimates.ts";

/** One estimate per migration and request, shared by the three fields that read it. */
const perRequest = new WeakMap<Context, Map<string, Promise<Estimate>>>();

const ESTIMATE_SELECT = {
  id: true,
  kind: true,
  state: true,
  percentComplete: true,
  startedAt: true,
  finishedAt: true,
  vhdMoves: true,
  vmRowId: true,
} as const;

type EstimateRow = Pick<
  Migration,
  "id" | "kind" | "state" | "percentComplete" | "startedAt" | "finishedAt" | "vhdMoves" | "vmRowId"
>;

/** From the row the query read (so the estimate matches its percentComplete), its samples and its VM. */
async function computeEstimate(ctx: Context, m: EstimateRow): Promise<Estimate> {
  const prisma = ctx.app.db.prisma;
  const [vm, samples] = await Promise.all([
    m.vmRowId
      ? prisma.virtualMachine.findUnique({ where: { id: m.vmRowId }, include: { hardDrives: true } })
      : null,
    prisma.migrationSample.findMany({
      where: { migrationId: m.id, at: { lte: new Date() } },
      orderBy: [{ at: "asc" }, { id: "asc" }],
      select: { at: true, percentComplete: true },
    }),
  ]);
  const memory = vm ? (vm.memoryAssignedBytes > 0n ? vm.memoryAssignedBytes : vm.memoryStartupBytes) : 0n;
  const vhds = (m.vhdMoves ?? []) as { sourcePath: string }[];
  const disks = (vm?.hardDrives ?? [])
    .filter((d) => vhds.length === 0 || vhds.some((v) => v.sourcePath.toLowerCase() === d.path.toLowerCase()))
    .reduce((sum, d) => sum + d.sizeBytes, 0n);
  const running = vm ? ["RUNNING", "PAUSED"].includes(vm.state) : true;
  const totalBytes =
    m.kind === "STORAGE" ? disks : (running ? memory : 0n) + (m.kind === "LIVE_WITH_STORAGE" ? disks : 0n);
  return estimate({
    state: m.state,
    percentComplete: m.percentComplete,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    totalBytes,
    // Samples newer than the row's progress belong to a later read.
    samples: samples.filter((s) => s.percentComplete <= m.percentComplete),
    now: Date.now(),
  });
}

function estimateOf(ctx: Context, m: EstimateRow): Promise<Estimate> {
  let cache = perRequest.get(ctx);
  if (!cache) {
    cache = new Map();
    perRequest.set(ctx, cache);
  }
  const key = `${m.id}/${m.state}/${m.percentComplete}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = computeEstimate(ctx, m);
    cache.set(key, pending);
  }
  return pending;
}

builder.prismaObjectFields("Migration", (t) => ({
  notBefore: t.expose("notBefore", {
    type: "DateTime",
    nullable: true,
    description:
      "Not started before this instant (moveVm/moveVms notBefore); null: as soon as the hosts' limits allow.",
  }),
  scheduled: t.boolean({
    description: "QUEUED and waiting for notBefore (a scheduled move); false once due or started.",
    select: { state: true, notBefore: true },
    resolve: (m) => m.state === "QUEUED" && !!m.notBefore && m.notBefore.getTime() > Date.now(),
  }),
  placementReason: t.exposeString("placementReason", {
    nullable: true,
    description:
      "Why placement chose the destination (score and its parts), when the request named none; null when the caller chose it.",
  }),
  estimatedSecondsRemaining: t.float({
    nullable: true,
    description:
      "Estimate: seconds until the copy completes, from the recent rate of progress and what is left of the VM's memory (and disks when storage moves); 0 once SUCCEEDED; null while queued, without progress yet, or after a failure. Hyper-V re-copies memory the VM changes, so the end can take longer.",
    select: ESTIMATE_SELECT,
    resolve: async (m, _a, ctx) => (await estimateOf(ctx, m)).secondsRemaining,
  }),
  bytesTransferredEstimate: t.field({
    type: "BigInt",
    nullable: true,
    description:
      "Estimate: bytes copied so far, percentComplete of the VM's memory (plus disks when storage moves). Hyper-V reports only the percentage.",
    select: ESTIMATE_SELECT,
    resolve: async (m, _a, ctx) => (await estimateOf(ctx, m)).bytesTransferred,
  }),
  rateBytesPerSecondEstimate: t.field({
    type: "BigInt",
    nullable: true,
    description:
      "Estimate: copy rate in bytes per second over the last minute of progress samples (the average for a SUCCEEDED move); null without two samples of progress.",
    select: ESTIMATE_SELECT,
    resolve: async (m, _a, ctx) => (await estimateOf(ctx, m)).rateBytesPerSecond,
  }),
}));
