// Ingests an agent's inventory report: validates it (the agent is trusted with its own host only),
// then replaces the host's facts, settings, switches, adapters, firewall rules and VMs in one
// transaction. An unchanged report (same hash) only refreshes lastSeen.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { App } from "../../context.ts";
import { ValidationError } from "../shared/errors.ts";

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
  state: z.enum([
    "RUNNING",
    "OFF",
    "SAVED",
    "PAUSED",
    "STARTING",
    "STOPPING",
    "SAVING",
    "PAUSING",
    "RESUMING",
    "OTHER",
  ]),
  status: text().nullable(),
  cpuUsage: z.number().int().min(0).max(100),
  memoryAssignedBytes: bigint,
  memoryStartupBytes: bigint,
  uptimeSeconds: z.number().int().nonnegative(),
  generation: z.number().int().min(1).max(2),
  configurationVersion: text(16),
  processorCompatibilityForMigration: z.boolean(),
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
  const { host: facts, settings } = report;
  await prisma.$transaction(async (tx) => {
    await tx.host.update({
      where: { id: hostId },
      data: {
        fqdn: facts.fqdn,
        domain: facts.domain,
        cpuVendor: facts.cpuVendor,
        cpuModel: facts.cpuModel,
        logicalProcessorCount: facts.logicalProcessorCount,
        memoryCapacityBytes: facts.memoryCapacityBytes,
        memoryAvailableBytes: facts.memoryAvailableBytes,
        supportedVmVersions: facts.supportedVmVersions,
        virtualMachinePath: facts.virtualMachinePath,
        virtualHardDiskPath: facts.virtualHardDiskPath,
        delegations: facts.delegations ?? [],
        delegationsKnown: facts.delegations !== null,
        agentLastSeenAt: now,
        agentVersion: agent.version,
        agentBackend: agent.backend,
        inventoryReportedAt: now,
        inventoryHash: hash,
      },
    });
    const { networks, ...scalarSettings } = settings;
    await tx.migrationSettings.upsert({
      where: { hostId },
      update: scalarSettings,
      create: { hostId, ...scalarSettings },
    });
    await tx.migrationNetwork.deleteMany({ where: { hostId } });
    await tx.migrationNetwork.createMany({ data: networks.map((n) => ({ hostId, ...n })) });
    await tx.virtualSwitch.deleteMany({ where: { hostId } });
    await tx.virtualSwitch.createMany({
      data: report.switches.map((s) => ({ hostId, ...s })),
      skipDuplicates: true,
    });
    await tx.networkAdapter.deleteMany({ where: { hostId } });
    await tx.networkAdapter.createMany({
      data: report.networkAdapters.map((a) => ({ hostId, ...a })),
      skipDuplicates: true,
    });
    await tx.firewallRule.deleteMany({ where: { hostId } });
    await tx.firewallRule.createMany({
      data: report.firewallRules.map((r) => ({ hostId, ...r })),
      skipDuplicates: true,
    });
    await tx.volume.deleteMany({ where: { hostId } });
    await tx.volume.createMany({ data: report.volumes.map((v) => ({ hostId, ...v })), skipDuplicates: true });
    await replaceVms(tx, hostId, report.vms);
  });
  await notifyIngested(app, hostId);
  return true;
}

type Tx = Parameters<Parameters<App["db"]["prisma"]["$transaction"]>[0]>[0];

/** VMs follow their GUID: a VM that moved here keeps its row (and its migration history). */
async function replaceVms(tx: Tx, hostId: string, vms: InventoryReport["vms"]) {
  const reported = new Set(vms.map((v) => v.vmId));
  await tx.virtualMachine.deleteMany({ where: { hostId, vmId: { notIn: [...reported] } } });
  const existing = new Map(
    (
      await tx.virtualMachine.findMany({
        where: { vmId: { in: [...reported] } },
        select: { id: true, vmId: true },
      })
    ).map((v) => [v.vmId, v.id]),
  );
  const toCreate = vms.filter((v) => !existing.has(v.vmId));
  await tx.virtualMachine.createMany({
    data: toCreate.map(({ hardDrives: _drives, ...vm }) => ({ ...vm, hostId })),
  });
  for (const { hardDrives: _drives, ...vm } of vms.filter((v) => existing.has(v.vmId))) {
    await tx.virtualMachine.update({ where: { vmId: vm.vmId }, data: { ...vm, hostId } });
  }
  const rows = await tx.virtualMachine.findMany({
    where: { vmId: { in: [...reported] } },
    select: { id: true, vmId: true },
  });
  const rowId = new Map(rows.map((r) => [r.vmId, r.id]));
  await tx.hardDrive.deleteMany({ where: { vmRowId: { in: rows.map((r) => r.id) } } });
  await tx.hardDrive.createMany({
    data: vms.flatMap((v) =>
      v.hardDrives.map((d, position) => ({ vmRowId: rowId.get(v.vmId)!, position, ...d })),
    ),
  });
}
