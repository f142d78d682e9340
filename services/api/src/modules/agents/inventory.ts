// Ingests an agent's inventory report: validates it (the agent is trusted with its own host only),
// then replaces the host's facts, settings, switches, adapters, firewall rules, volumes and VMs in
// one SQL statement (inventory-sql.ts). An unchanged report (same hash) only refreshes lastSeen.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { App } from "../../context.ts";
import { VmState } from "../../generated/prisma/enums.ts";
import { ValidationError } from "../shared/errors.ts";
import { storeInventory } from "./inventory-sql.ts";

const bigint = z
  .union([z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
const text = (max = 1024) => z.string().max(max);
// Hyper-V's own limits are generous (paths up to 32,767 characters); these only stop abuse.
const NAME = 1024;
const PATH = 4096;

const vmSchema = z.object({
  vmId: z.string().min(1).max(64),
  name: text(NAME),
  state: z.enum(VmState),
  status: text().nullable(),
  cpuUsage: z.number().int().min(0).max(100),
  memoryAssignedBytes: bigint,
  memoryStartupBytes: bigint,
  uptimeSeconds: z.number().int().nonnegative(),
  generation: z.number().int().min(1).max(2),
  configurationVersion: text(16),
  processorCompatibilityForMigration: z.boolean(),
  /** Get-VM IsClustered; agents from before it was reported send none. */
  isClustered: z.boolean().default(false),
  path: text(PATH),
  hardDrives: z.array(z.object({ path: text(PATH), sizeBytes: bigint })).max(256),
  switchNames: z.array(text(NAME)).max(64),
});

export const inventorySchema = z.object({
  host: z.object({
    name: text(63),
    fqdn: text(255).nullable(),
    domain: text(255).nullable(),
    cpuVendor: z.enum(["INTEL", "AMD", "OTHER"]),
    cpuModel: text(256),
    logicalProcessorCount: z.number().int().nonnegative(),
    memoryCapacityBytes: bigint,
    memoryAvailableBytes: bigint,
    supportedVmVersions: z.array(text(16)).max(64),
    virtualMachinePath: text(PATH),
    virtualHardDiskPath: text(PATH),
    delegations: z.array(text(512)).max(4096).nullable(),
  }),
  settings: z.object({
    enabled: z.boolean(),
    authenticationType: z.enum(["CREDSSP", "KERBEROS"]),
    performanceOption: z.enum(["TCPIP", "COMPRESSION", "SMB"]),
    maximumVirtualMachineMigrations: z.number().int().min(0).max(4096),
    maximumStorageMigrations: z.number().int().min(0).max(4096),
    useAnyNetworkForMigration: z.boolean(),
    networks: z
      .array(z.object({ subnet: text(64), priority: z.number().int().nonnegative().nullable() }))
      .max(256),
  }),
  switches: z
    .array(z.object({ name: text(NAME), switchType: z.enum(["External", "Internal", "Private"]) }))
    .max(256),
  networkAdapters: z
    .array(
      z.object({
        name: text(256),
        linkSpeedBps: bigint,
        rdmaCapable: z.boolean(),
        ipAddresses: z.array(text(64)).max(64),
      }),
    )
    .max(256),
  firewallRules: z
    .array(
      z.object({
        name: text(256),
        displayName: text(256),
        enabled: z.boolean(),
        protocol: text(16),
        localPort: text(64),
      }),
    )
    .max(1024),
  // Absent from agents older than volume reporting: then nothing is known about free space.
  volumes: z
    .array(z.object({ root: text(PATH), freeBytes: bigint }))
    .max(256)
    .default([]),
  vms: z.array(vmSchema).max(5000),
});

export type InventoryReport = z.infer<typeof inventorySchema>;

export function parseInventory(raw: unknown): InventoryReport {
  const parsed = inventorySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(`input.inventory.${issue.path.join(".")}`, issue.message);
  }
  return parsed.data;
}

function hashOf(raw: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(raw, (_k, v) => (typeof v === "bigint" ? v.toString() : v)))
    .digest("hex");
}

type IngestListener = (app: App, hostId: string) => Promise<void>;
const ingestListeners: IngestListener[] = [];

/** Lets a domain react after every stored report, changed or not (e.g. recompute drift); failures are logged. */
export function onInventoryIngested(listener: IngestListener): void {
  ingestListeners.push(listener);
}

async function notifyIngested(app: App, hostId: string) {
  for (const listener of ingestListeners) {
    await listener(app, hostId).catch((err) =>
      app.logger.error({ err, hostId }, "inventory listener failed"),
    );
  }
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
