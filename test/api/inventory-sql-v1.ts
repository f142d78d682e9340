// The inventory statement as it was before issue 16's sixth session (main at 6fbc825), frozen: the
// reference that ingest-store.test.ts compares today's statement with (the same rows after the same
// reports, and the same rows left untouched). Not product code; do not change it to follow the product.

import { Prisma } from "@ferry/api/testing";
import type { InventoryReport } from "@ferry/protocol";

type Tx = {
  $executeRaw(query: Prisma.Sql): Promise<number>;
};

/** JSON for a jsonb parameter; bigints as decimal strings (read back with a bigint column type). */
function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

/** First row per key (what createMany's skipDuplicates kept before; an upsert cannot touch a row twice). */
function firstPerKey<T>(rows: T[], key: (row: T) => string): T[] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = key(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

interface ListSpec {
  table: string;
  /** Unique together with hostId. */
  key: string;
  /** Other columns with their SQL types. */
  columns: [name: string, type: string][];
}

const LISTS = {
  networks: { table: "MigrationNetwork", key: "subnet", columns: [["priority", "integer"]] },
  switches: { table: "VirtualSwitch", key: "name", columns: [["switchType", "text"]] },
  networkAdapters: {
    table: "NetworkAdapter",
    key: "name",
    columns: [
      ["linkSpeedBps", "bigint"],
      ["rdmaCapable", "boolean"],
      ["ipAddresses", "text[]"],
    ],
  },
  firewallRules: {
    table: "FirewallRule",
    key: "name",
    columns: [
      ["displayName", "text"],
      ["enabled", "boolean"],
      ["protocol", "text"],
      ["localPort", "text"],
    ],
  },
  volumes: { table: "Volume", key: "root", columns: [["freeBytes", "bigint"]] },
} satisfies Record<string, ListSpec>;

const q = (name: string) => Prisma.raw(`"${name}"`);
const list = (items: string[]) => Prisma.raw(items.join(", "));

/** CTEs (prefix p) replacing one of the host's lists: gone rows deleted, the rest upserted if changed. */
function listCtes(p: string, spec: ListSpec, hostId: string, rows: Record<string, unknown>[]): Prisma.Sql {
  const unique = firstPerKey(rows, (r) => String(r[spec.key]));
  const all: [string, string][] = [[spec.key, "text"], ...spec.columns];
  const cols = list(all.map(([c]) => `"${c}"`));
  const table = q(spec.table);
  const changed = `(${spec.columns.map(([c]) => `t."${c}"`).join(", ")}) IS DISTINCT FROM (${spec.columns.map(([c]) => `EXCLUDED."${c}"`).join(", ")})`;
  return Prisma.sql`
    ${Prisma.raw(p)}_in AS (SELECT * FROM jsonb_to_recordset(${json(unique)}::jsonb) AS x(${list(all.map(([c, t]) => `"${c}" ${t}`))})),
    ${Prisma.raw(p)}_gone AS (
      DELETE FROM ${table} t WHERE t."hostId" = ${hostId}::uuid
        AND t.${q(spec.key)} NOT IN (SELECT ${q(spec.key)} FROM ${Prisma.raw(p)}_in)),
    ${Prisma.raw(p)}_up AS (
      INSERT INTO ${table} AS t ("id", "hostId", ${cols})
      SELECT gen_random_uuid(), ${hostId}::uuid, ${cols} FROM ${Prisma.raw(p)}_in
      ON CONFLICT ("hostId", ${q(spec.key)}) DO UPDATE SET ${list(spec.columns.map(([c]) => `"${c}" = EXCLUDED."${c}"`))}
      WHERE ${Prisma.raw(changed)})`;
}

const VM_COLUMNS: [name: string, type: string, cast?: string][] = [
  ["name", "text"],
  ["state", "text", '"VmState"'],
  ["status", "text"],
  ["cpuUsage", "integer"],
  ["memoryAssignedBytes", "bigint"],
  ["memoryStartupBytes", "bigint"],
  ["uptimeSeconds", "integer"],
  ["generation", "integer"],
  ["configurationVersion", "text"],
  ["processorCompatibilityForMigration", "boolean"],
  ["isClustered", "boolean"],
  ["path", "text"],
  ["switchNames", "text[]"],
];

/**
 * CTEs for the VMs. VMs follow their GUID: a VM that moved here keeps its row (and its migration
 * history). VMs no longer reported by this host are deleted (with their disks); every reported VM is
 * upserted by vmId (unchanged ones untouched, updatedAt included); each VM's disks end up exactly as
 * reported (position = order), unchanged disks untouched.
 */
/** A report older than a finished move can arrive after it; this long, the move's result wins. */
const MOVE_SETTLE_MS = 60_000;

function vmCtes(hostId: string, vms: InventoryReport["vms"], updatedAt: string): Prisma.Sql {
  const settledAfter = new Date(Date.parse(updatedAt) - MOVE_SETTLE_MS).toISOString();
  const unique = firstPerKey(vms, (v) => v.vmId);
  const recordType = list([
    '"vmId" text',
    ...VM_COLUMNS.map(([c, t]) => `"${c}" ${t}`),
    '"hardDrives" jsonb',
  ]);
  const insertCols = list(VM_COLUMNS.map(([c]) => `"${c}"`));
  const selectCols = list(VM_COLUMNS.map(([c, , cast]) => (cast ? `"${c}"::${cast}` : `"${c}"`)));
  const tracked = VM_COLUMNS.map(([c]) => c);
  const changed = Prisma.raw(
    `(${tracked.map((c) => `v."${c}"`).join(", ")}) IS DISTINCT FROM (${tracked.map((c) => `EXCLUDED."${c}"`).join(", ")})`,
  );
  const set = list([...tracked, "updatedAt"].map((c) => `"${c}" = EXCLUDED."${c}"`));
  return Prisma.sql`
    vm_in AS (SELECT * FROM jsonb_to_recordset(${json(unique)}::jsonb) AS x(${recordType})),
    vm_gone AS (
      DELETE FROM "VirtualMachine" v WHERE v."hostId" = ${hostId}::uuid AND v."vmId" NOT IN (SELECT "vmId" FROM vm_in)
        -- Nor may a destination's report taken before the move ended delete the VM it just received.
        AND NOT EXISTS (
          SELECT 1 FROM "Migration" m WHERE m."vmGuid" = v."vmId" AND m."state" = 'SUCCEEDED'
            AND m."destinationHostId" = ${hostId}::uuid AND m."finishedAt" > ${settledAfter}::timestamp(3))
        -- Nor the source's report during its move: the job's outcome decides where the row goes (it is
        -- moved to the destination with SUCCEEDED), so the VM never disappears and comes back with a new id.
        AND NOT EXISTS (
          SELECT 1 FROM "Migration" m WHERE m."vmGuid" = v."vmId" AND m."sourceHostId" = ${hostId}::uuid
            AND (m."state"::text IN ('STARTING', 'RUNNING', 'CANCELLING')
              -- or ended provisionally (AGENT_LOST) a moment ago: the real outcome may still move the row.
              OR (m."provisional" AND m."finishedAt" > ${settledAfter}::timestamp(3))))),
    vm_up AS (
      INSERT INTO "VirtualMachine" AS v ("id", "vmId", "hostId", ${insertCols}, "updatedAt")
      SELECT gen_random_uuid(), "vmId", ${hostId}::uuid, ${selectCols}, ${updatedAt}::timestamp(3) FROM vm_in
      -- Only this host's rows: a vmId that another host holds is a conflict (ingestInventory reports
      -- it), never re-homed by a report. A VM moves through its migration's outcome, or after the
      -- other host stopped reporting it (its row is deleted, this host's next report inserts it).
      ON CONFLICT ("vmId") DO UPDATE SET ${set} WHERE ${changed} AND v."hostId" = ${hostId}::uuid
      RETURNING v."id", v."vmId", (xmax = 0) AS "inserted"),
    -- A VM row created anew (the VM came back after its row was removed) takes back its migration
    -- history: migrations of that VM whose row link was cleared point at the new row.
    vm_relink AS (
      UPDATE "Migration" m SET "vmRowId" = r."id" FROM vm_up r
      WHERE r."inserted" AND m."vmGuid" = r."vmId" AND m."vmRowId" IS NULL),
    vm_rows AS (
      SELECT "id", "vmId" FROM vm_up
      UNION
      SELECT v."id", v."vmId" FROM "VirtualMachine" v JOIN vm_in i ON i."vmId" = v."vmId"
      WHERE v."hostId" = ${hostId}::uuid),
    drives AS (
      SELECT r."id" AS "vmRowId", (d.ord - 1)::integer AS "position", d.value->>'path' AS "path",
             (d.value->>'sizeBytes')::bigint AS "sizeBytes"
      FROM vm_in i JOIN vm_rows r ON r."vmId" = i."vmId",
           jsonb_array_elements(i."hardDrives") WITH ORDINALITY AS d(value, ord)),
    drives_gone AS (
      DELETE FROM "HardDrive" h WHERE h."vmRowId" IN (SELECT "id" FROM vm_rows)
        AND NOT EXISTS (SELECT 1 FROM drives d WHERE d."vmRowId" = h."vmRowId" AND d."position" = h."position"
                        AND d."path" = h."path" AND d."sizeBytes" = h."sizeBytes")),
    drives_up AS (
      INSERT INTO "HardDrive" ("id", "vmRowId", "position", "path", "sizeBytes")
      SELECT gen_random_uuid(), d."vmRowId", d."position", d."path", d."sizeBytes" FROM drives d
      WHERE NOT EXISTS (SELECT 1 FROM "HardDrive" h WHERE h."vmRowId" = d."vmRowId" AND h."position" = d."position"
                        AND h."path" = d."path" AND h."sizeBytes" = d."sizeBytes"))`;
}

interface StoreInventory {
  hostId: string;
  report: InventoryReport;
  hash: string;
  agent: { version: string; backend: string };
  now: Date;
}

/**
 * Stores a changed report in ONE statement (atomic by itself): the host's facts, its migration
 * settings, every list and the VMs with their disks. Returns false when the host row is gone.
 */
export async function storeInventoryV1(tx: Tx, input: StoreInventory): Promise<boolean> {
  const { hostId, report, hash, agent } = input;
  const { host: h, settings } = report;
  const { networks, ...s } = settings;
  // A timestamp literal with a zone is read as its UTC wall time, which is how Prisma stores DateTime.
  const now = input.now.toISOString();
  const textArray = (values: string[]) =>
    Prisma.sql`ARRAY(SELECT jsonb_array_elements_text(${json(values)}::jsonb))`;
  const count = await tx.$executeRaw(Prisma.sql`
    WITH host_up AS (
      UPDATE "Host" SET "fqdn" = ${h.fqdn}, "domain" = ${h.domain}, "cpuVendor" = ${h.cpuVendor}::"CpuVendor",
        "cpuModel" = ${h.cpuModel}, "logicalProcessorCount" = ${h.logicalProcessorCount}::integer,
        "memoryCapacityBytes" = ${h.memoryCapacityBytes.toString()}::bigint,
        "memoryAvailableBytes" = ${h.memoryAvailableBytes.toString()}::bigint,
        "supportedVmVersions" = ${textArray(h.supportedVmVersions)},
        "virtualMachinePath" = ${h.virtualMachinePath}, "virtualHardDiskPath" = ${h.virtualHardDiskPath},
        "delegations" = ${textArray(h.delegations ?? [])}, "delegationsKnown" = ${h.delegations !== null},
        "agentLastSeenAt" = ${now}::timestamp(3), "agentVersion" = ${agent.version}, "agentBackend" = ${agent.backend},
        "inventoryReportedAt" = ${now}::timestamp(3), "inventoryHash" = ${hash}, "updatedAt" = ${now}::timestamp(3)
      WHERE "id" = ${hostId}::uuid
      RETURNING "id"),
    settings_up AS (
      INSERT INTO "MigrationSettings" AS t ("hostId", "enabled", "authenticationType", "performanceOption",
        "maximumVirtualMachineMigrations", "maximumStorageMigrations", "useAnyNetworkForMigration")
      SELECT "id", ${s.enabled}, ${s.authenticationType}::"MigrationAuthenticationType",
        ${s.performanceOption}::"MigrationPerformanceOption", ${s.maximumVirtualMachineMigrations}::integer,
        ${s.maximumStorageMigrations}::integer, ${s.useAnyNetworkForMigration} FROM host_up
      ON CONFLICT ("hostId") DO UPDATE SET "enabled" = EXCLUDED."enabled",
        "authenticationType" = EXCLUDED."authenticationType", "performanceOption" = EXCLUDED."performanceOption",
        "maximumVirtualMachineMigrations" = EXCLUDED."maximumVirtualMachineMigrations",
        "maximumStorageMigrations" = EXCLUDED."maximumStorageMigrations",
        "useAnyNetworkForMigration" = EXCLUDED."useAnyNetworkForMigration"),
    ${listCtes("net", LISTS.networks, hostId, networks)},
    ${listCtes("sw", LISTS.switches, hostId, report.switches)},
    ${listCtes("nic", LISTS.networkAdapters, hostId, report.networkAdapters)},
    ${listCtes("fw", LISTS.firewallRules, hostId, report.firewallRules)},
    ${listCtes("vol", LISTS.volumes, hostId, report.volumes)},
    ${vmCtes(hostId, report.vms, now)}
    SELECT 1 FROM host_up`);
  return count > 0;
}
