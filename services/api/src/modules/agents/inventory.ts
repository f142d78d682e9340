// Ingests an agent's inventory report: validates it (the agent is trusted with its own host only),
// then replaces the host's facts, settings, switches, adapters, firewall rules, volumes and VMs in
// one SQL statement (inventory-sql.ts). An unchanged report (same hash) only refreshes lastSeen.
import { createHash } from "node:crypto";
import {
  bigintReplacer,
  type InventoryReport,
  inventorySchema,
  type VmState as ProtocolVmState,
} from "@ferry/protocol";
import type { App } from "../../context.ts";
import type { VmState } from "../../generated/prisma/enums.ts";
import { ValidationError } from "../shared/errors.ts";
import { storeInventory } from "./inventory-sql.ts";

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

type IngestListener = (app: App, hostId: string) => Promise<void>;

/**
 * Lets a domain react after every stored report, changed or not (e.g. recompute drift), on this App;
 * failures are logged (hooks.ts). Called from a domain's register...Reactions(app).
 */
export function onInventoryIngested(app: App, listener: IngestListener): () => void {
  return app.hooks.on("inventoryIngested", listener);
}

function notifyIngested(app: App, hostId: string) {
  return app.hooks.emit("inventoryIngested", app, hostId);
}

/** Stores the report for `hostId`. Returns false when nothing changed since the last report. */
export async function ingestInventory(
  app: App,
  hostId: string,
  hostName: string,
  raw: unknown,
  agent: { version: string; backend: string },
) {
  const report = parseInventory(raw);
  if (report.host.name.toLowerCase() !== hostName.toLowerCase()) {
    throw new ValidationError("input.inventory.host.name", `this agent may only report for host ${hostName}`);
  }
  const hash = hashOf(raw);
  const prisma = app.db.prisma;
  const now = new Date();
  const current = await prisma.host.findUniqueOrThrow({
    where: { id: hostId },
    select: { inventoryHash: true },
  });
  if (current.inventoryHash === hash) {
    await prisma.host.update({ where: { id: hostId }, data: { agentLastSeenAt: now } });
    await notifyIngested(app, hostId);
    return false;
  }
  const stored = await storeInventory(prisma, { hostId, report, hash, agent, now });
  if (!stored) throw new ValidationError("input.inventory", "this agent's host no longer exists");
  await notifyIngested(app, hostId);
  return true;
}
