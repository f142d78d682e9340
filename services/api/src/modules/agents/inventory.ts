// Ingests an agent's inventory report: validates it (the agent is trusted with its own host only),
// then replaces the host's facts, settings, switches, adapters, firewall rules, volumes and VMs in
// one SQL statement (inventory-sql.ts), after one round trip that reads the stored hash and the VMs
// other hosts hold. An unchanged report (same hash) only refreshes lastSeen, in that first round trip.
// Other domains' reactions run after the answer (inventory-reactions.ts).
import { createHash } from "node:crypto";
import {
  bigintReplacer,
  type InventoryReport,
  inventorySchema,
  type VmState as ProtocolVmState,
} from "@ferry/protocol";
import type { App, IngestBatch } from "../../context.ts";
import { retryOnConflict } from "../../db/conflicts.ts";
import { preparesStatements } from "../../db/hot-statement.ts";
import { poolSizeOf } from "../../db/pool-size.ts";
import type { VmState } from "../../generated/prisma/enums.ts";
import { busy, ValidationError } from "../shared/errors.ts";
import { createGate, type Gate, reportSlots, WaitedTooLong } from "./inventory-gate.ts";
import { queueInventoryReactions } from "./inventory-reactions.ts";
import { readStoredInventory, storeInventory } from "./inventory-sql.ts";

// The schema is the protocol's (the agent validates with it before sending); Prisma's VmState must
// list exactly the protocol's VM states.
const sameVmStates: [VmState] extends [ProtocolVmState]
  ? [ProtocolVmState] extends [VmState]
    ? true
    : never
  : never = true;
void sameVmStates;

export { type InventoryReport, inventorySchema };

export function parseInventory(raw: unknown): InventoryReport {
  const parsed = inventorySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`input.inventory.${issue.path.join(".")}`, issue.message);
  }
  return parsed.data;
}

function hashOf(raw: unknown): string {
  return createHash("sha256").update(JSON.stringify(raw, bigintReplacer)).digest("hex");
}

type IngestListener = (app: App, batch: IngestBatch) => Promise<void>;

/**
 * Lets a domain react after stored reports, changed or not (e.g. recompute drift), on this App: once
 * per batch of hosts, after the reports were answered (inventory-reactions.ts); failures are logged
 * (hooks.ts). Called from a domain's register...Reactions(app). `batch.significant` lists the hosts
 * whose report changed more than telemetry, so a reaction to the host's shape can skip the rest.
 */
export function onInventoryIngested(app: App, listener: IngestListener): () => void {
  return app.hooks.on("inventoryIngested", listener);
}

/**
 * The report without the telemetry that changes on every read (CPU, uptime, memory in use): what a
 * hostChanged subscriber cares about. Telemetry is stored, and read on query, but not announced.
 */
function shapeOf(report: InventoryReport) {
  const { memoryAvailableBytes: _free, ...host } = report.host;
  return {
    ...report,
    host,
    vms: report.vms.map(({ cpuUsage: _cpu, uptimeSeconds: _up, memoryAssignedBytes: _mem, ...vm }) => vm),
  };
}

export interface IngestResult {
  /** False when the report matched the stored one (only lastSeen was refreshed). */
  changed: boolean;
  /** Something a hostChanged subscriber should hear about changed (not just telemetry). */
  significant: boolean;
  /** Reported vmIds that another host holds in Ferry's records: not applied. */
  conflicts: { vmId: string; hostName: string }[];
}

/**
 * Stores the report for `hostId`. Host binding: the report names the agent's own host, and VMs that
 * another host holds are conflicts (returned, logged, not applied). The stored hash is
 * "<report>:<shape>"; a report with conflicts stores no report hash, so the next one is applied
 * again (the conflict may have resolved).
 */
export async function ingestInventory(
  app: App,
  hostId: string,
  hostName: string,
  raw: unknown,
  agent: { version: string; backend: string },
): Promise<IngestResult> {
  const report = parseInventory(raw);
  if (report.host.name.toLowerCase() !== hostName.toLowerCase()) {
    throw new ValidationError("input.inventory.host.name", `this agent may only report for host ${hostName}`);
  }
  const full = hashOf(raw);
  const shape = hashOf(shapeOf(report));
  try {
    return await gateOf(app).run(() => store(app, hostId, hostName, report, { full, shape }, agent));
  } catch (error) {
    if (!(error instanceof WaitedTooLong)) throw error;
    throw busy(`Too many inventory reports at once (this one ${error.message}); retry shortly`);
  }
}

/**
 * The longest a report waits for its turn before it is refused: the agent stops waiting for an answer
 * after 30 s (its request timeout) and sends the report again later, so running it after that is work
 * nobody waits for, done ahead of reports whose agents still wait.
 */
const REPORT_MAX_WAIT_MS = 20_000;

// Per App: reports stored at once (inventory-gate.ts), made on the first report.
const gates = new WeakMap<App, Gate>();

function gateOf(app: App): Gate {
  let gate = gates.get(app);
  if (!gate) {
    // The embedded database has one connection and a lab's few agents: a burst queues, as it does for
    // the connection itself (db/database.ts), rather than failing.
    const embedded = app.config.database.kind === "pglite";
    gate = createGate(
      reportSlots(poolSizeOf(app.config)),
      embedded ? Number.POSITIVE_INFINITY : REPORT_MAX_WAIT_MS,
    );
    gates.set(app, gate);
  }
  return gate;
}

async function store(
  app: App,
  hostId: string,
  hostName: string,
  report: InventoryReport,
  { full, shape }: { full: string; shape: string },
  agent: { version: string; backend: string },
): Promise<IngestResult> {
  const { pool } = app.db;
  const options = { prepared: preparesStatements(app.db) };
  const now = new Date();
  const vmIds = report.vms.map((v) => v.vmId);
  const stored = await readStoredInventory(pool, { hostId, full, now, vmIds }, options);
  if (!stored) throw new ValidationError("input.inventory", "this agent's host no longer exists");
  if (stored.unchanged) {
    queueInventoryReactions(app, hostId, false);
    return { changed: false, significant: false, conflicts: [] };
  }
  const storedShape = (stored.hash ?? "").split(":")[1];
  const conflicts = stored.held;
  if (conflicts.length > 0) {
    app.logger.warn({ hostId, hostName, conflicts }, "inventory lists VMs another host holds; not applied");
  }
  const taken = new Set(conflicts.map((c) => c.vmId));
  const applied = { ...report, vms: report.vms.filter((v) => !taken.has(v.vmId)) };
  const hash = `${conflicts.length > 0 ? "conflict" : full}:${shape}`;
  const written = await retryOnConflict(() =>
    storeInventory(pool, { hostId, report: applied, hash, agent, now }, options),
  );
  if (!written) throw new ValidationError("input.inventory", "this agent's host no longer exists");
  const significant = storedShape !== shape;
  // Committed: the reactions (drift, readiness) follow in the background, off the answer path.
  queueInventoryReactions(app, hostId, significant);
  return { changed: true, significant, conflicts };
}
