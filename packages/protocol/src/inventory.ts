// The inventory report: everything an agent says about its own host in one document. The agent
// validates what it is about to send with this schema, the API validates what it received.
import { z } from "zod";
import { wireBigInt } from "./wire.ts";

const text = (max = 1024) => z.string().max(max);
// Hyper-V's own limits are generous (paths up to 32,767 characters); these only stop abuse.
const NAME = 1024;
const PATH = 4096;

export const VM_STATES = [
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
] as const;
export type VmState = (typeof VM_STATES)[number];

export const vmSchema = z.object({
  vmId: z.string().min(1).max(64),
  name: text(NAME),
  state: z.enum(VM_STATES),
  status: text().nullable(),
  cpuUsage: z.number().int().min(0).max(100),
  memoryAssignedBytes: wireBigInt,
  memoryStartupBytes: wireBigInt,
  uptimeSeconds: z.number().int().nonnegative(),
  generation: z.number().int().min(1).max(2),
  configurationVersion: text(16),
  processorCompatibilityForMigration: z.boolean(),
  path: text(PATH),
  hardDrives: z.array(z.object({ path: text(PATH), sizeBytes: wireBigInt })).max(256),
  switchNames: z.array(text(NAME)).max(64),
  /** Get-VM IsClustered (absent from older agents: false). */
  isClustered: z.boolean().default(false),
});

export const migrationNetworkSchema = z.object({
  subnet: text(64),
  priority: z.number().int().nonnegative().nullable(),
});

export const AUTHENTICATION_TYPES = ["CREDSSP", "KERBEROS"] as const;
export const PERFORMANCE_OPTIONS = ["TCPIP", "COMPRESSION", "SMB"] as const;

export const migrationSettingsSchema = z.object({
  enabled: z.boolean(),
  authenticationType: z.enum(AUTHENTICATION_TYPES),
  performanceOption: z.enum(PERFORMANCE_OPTIONS),
  maximumVirtualMachineMigrations: z.number().int().min(0).max(4096),
  maximumStorageMigrations: z.number().int().min(0).max(4096),
  useAnyNetworkForMigration: z.boolean(),
  networks: z.array(migrationNetworkSchema).max(256),
});

export const inventorySchema = z.object({
  host: z.object({
    name: text(63),
    fqdn: text(255).nullable(),
    domain: text(255).nullable(),
    cpuVendor: z.enum(["INTEL", "AMD", "OTHER"]),
    cpuModel: text(256),
    logicalProcessorCount: z.number().int().nonnegative(),
    memoryCapacityBytes: wireBigInt,
    memoryAvailableBytes: wireBigInt,
    supportedVmVersions: z.array(text(16)).max(64),
    virtualMachinePath: text(PATH),
    virtualHardDiskPath: text(PATH),
    delegations: z.array(text(512)).max(4096).nullable(),
  }),
  settings: migrationSettingsSchema,
  switches: z
    .array(z.object({ name: text(NAME), switchType: z.enum(["External", "Internal", "Private"]) }))
    .max(256),
  networkAdapters: z
    .array(
      z.object({
        name: text(256),
        linkSpeedBps: wireBigInt,
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
    .array(z.object({ root: text(PATH), freeBytes: wireBigInt }))
    .max(256)
    .default([]),
  vms: z.array(vmSchema).max(5000),
});

/** A decoded inventory report (bigints as bigint). */
export type InventoryReport = z.infer<typeof inventorySchema>;
/** What goes over the wire (bigints as decimal strings). */
export type InventoryWire = z.input<typeof inventorySchema>;
export type MigrationSettingsReport = z.infer<typeof migrationSettingsSchema>;
