// Set-based write of a changed inventory report: one SQL statement (data-modifying CTEs, atomic by
// itself) instead of one statement per row. Each list (networks, switches, adapters, firewall rules,
// volumes; VMs with their disks) travels as one JSON parameter; rows gone from the report are
// deleted, the rest upserted, and rows that did not change are left alone (no write, no dead tuple,
// updatedAt untouched). All sub-statements see the same snapshot and touch disjoint rows.
//
// Both statements here run on the App's `pg` pool (db/database.ts), not through Prisma (issue 16,
// decision c): Prisma added its query compiler and interpreter to each of a report's statements. Their
// text never changes, so on PostgreSQL each is a named prepared statement: parsed once per connection,
// and sent as its parameters only (the store statement's text is about 9 KB).

import type { InventoryReport } from "@ferry/protocol";
import type pg from "pg";
import { hotStatement } from "../../db/hot-statement.ts";

/** What runs the statements: the App's pool, or one of its clients (tests, benchmarks). */
export type Queryable = Pick<pg.Pool, "query">;

/**
 * Whether to name the statements (PostgreSQL). Not on the embedded database: its one session outlives
 * the pooled connection that prepared a statement, so the next connection's PARSE of the same name fails.
 */
export interface StatementOptions {
  prepared: boolean;
}

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

type ListName = keyof typeof LISTS;
const LIST_NAMES = Object.keys(LISTS) as ListName[];

/** The store statement's parameters, in order ($1 = hostId, ...). */
const PARAMS = [
  "hostId",
  "fqdn",
  "domain",
  "cpuVendor",
  "cpuModel",
  "logicalProcessorCount",
  "memoryCapacityBytes",
  "memoryAvailableBytes",
  "supportedVmVersions",
  "virtualMachinePath",
  "virtualHardDiskPath",
  "delegations",
  "delegationsKnown",
  "now",
  "agentVersion",
  "agentBackend",
  "hash",
  "enabled",
  "authenticationType",
  "performanceOption",
  "maximumVirtualMachineMigrations",
  "maximumStorageMigrations",
  "useAnyNetworkForMigration",
  ...LIST_NAMES,
  "vms",
  "settledAfter",
] as const;
type Param = (typeof PARAMS)[number];
const $ = (name: Param) => `$${PARAMS.indexOf(name) + 1}`;

/** CTEs (prefix p) replacing one of the host's lists: gone rows deleted, the rest upserted if changed. */
function listCtes(p: string, spec: ListSpec, param: Param): string {
  const all: [string, string][] = [[spec.key, "text"], ...spec.columns];
  const cols = all.map(([c]) => `"${c}"`).join(", ");
  const changed = `(${spec.columns.map(([c]) => `t."${c}"`).join(", ")}) IS DISTINCT FROM (${spec.columns.map(([c]) => `EXCLUDED."${c}"`).join(", ")})`;
  return `
    ${p}_in AS (SELECT * FROM jsonb_to_recordset(${$(param)}::jsonb) AS x(${all.map(([c, t]) => `"${c}" ${t}`).join(", ")})),
    ${p}_gone AS (
      DELETE FROM "${spec.table}" t WHERE t."hostId" = $1::uuid
        AND t."${spec.key}" NOT IN (SELECT "${spec.key}" FROM ${p}_in)),
    ${p}_up AS (
      INSERT INTO "${spec.table}" AS t ("id", "hostId", ${cols})
      SELECT gen_random_uuid(), $1::uuid, ${cols} FROM ${p}_in
      ON CONFLICT ("hostId", "${spec.key}") DO UPDATE SET ${spec.columns.map(([c]) => `"${c}" = EXCLUDED."${c}"`).join(", ")}
      WHERE ${changed})`;
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

/** A report older than a finished move can arrive after it; this long, the move's result wins. */
const MOVE_SETTLE_MS = 60_000;

/**
 * CTEs for the VMs. VMs follow their GUID: a VM that moved here keeps its row (and its migration
 * history). VMs no longer reported by this host are deleted (with their disks); every reported VM is
 * upserted by vmId (unchanged ones untouched, updatedAt included); each VM's disks end up exactly as
 * reported (position = order), unchanged disks untouched.
 */
function vmCtes(): string {
  const recordType = ['"vmId" text', ...VM_COLUMNS.map(([c, t]) => `"${c}" ${t}`), '"hardDrives" jsonb'].join(
    ", ",
  );
  const insertCols = VM_COLUMNS.map(([c]) => `"${c}"`).join(", ");
  const selectCols = VM_COLUMNS.map(([c, , cast]) => (cast ? `"${c}"::${cast}` : `"${c}"`)).join(", ");
  const tracked = VM_COLUMNS.map(([c]) => c);
  const changed = `(${tracked.map((c) => `v."${c}"`).join(", ")}) IS DISTINCT FROM (${tracked.map((c) => `EXCLUDED."${c}"`).join(", ")})`;
  const set = [...tracked, "updatedAt"].map((c) => `"${c}" = EXCLUDED."${c}"`).join(", ");
  const settledAfter = `${$("settledAfter")}::timestamp(3)`;
  return `
    vm_in AS (SELECT * FROM jsonb_to_recordset(${$("vms")}::jsonb) AS x(${recordType})),
    vm_gone AS (
      DELETE FROM "VirtualMachine" v WHERE v."hostId" = $1::uuid AND v."vmId" NOT IN (SELECT "vmId" FROM vm_in)
        -- Nor may a destination's report taken before the move ended delete the VM it just received.
        AND NOT EXISTS (
          SELECT 1 FROM "Migration" m WHERE m."vmGuid" = v."vmId" AND m."state" = 'SUCCEEDED'
            AND m."destinationHostId" = $1::uuid AND m."finishedAt" > ${settledAfter})
        -- Nor the source's report during its move: the job's outcome decides where the row goes (it is
        -- moved to the destination with SUCCEEDED), so the VM never disappears and comes back with a new id.
        AND NOT EXISTS (
          SELECT 1 FROM "Migration" m WHERE m."vmGuid" = v."vmId" AND m."sourceHostId" = $1::uuid
            AND (m."state"::text IN ('STARTING', 'RUNNING', 'CANCELLING')
              -- or ended provisionally (AGENT_LOST) a moment ago: the real outcome may still move the row.
              OR (m."provisional" AND m."finishedAt" > ${settledAfter})))),
    vm_up AS (
      INSERT INTO "VirtualMachine" AS v ("id", "vmId", "hostId", ${insertCols}, "updatedAt")
      SELECT gen_random_uuid(), "vmId", $1::uuid, ${selectCols}, ${$("now")}::timestamp(3) FROM vm_in
      -- Only this host's rows: a vmId that another host holds is a conflict (ingestInventory reports
      -- it), never re-homed by a report. A VM moves through its migration's outcome, or after the
      -- other host stopped reporting it (its row is deleted, this host's next report inserts it).
      ON CONFLICT ("vmId") DO UPDATE SET ${set} WHERE ${changed} AND v."hostId" = $1::uuid
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
      WHERE v."hostId" = $1::uuid),
    drives AS (
      SELECT r."id" AS "vmRowId", (d.ord - 1)::integer AS "position", d.value->>'path' AS "path",
             (d.value->>'sizeBytes')::bigint AS "sizeBytes"
      FROM vm_in i JOIN vm_rows r ON r."vmId" = i."vmId",
           jsonb_array_elements(i."hardDrives") WITH ORDINALITY AS d(value, ord)),
    -- The reported VMs' stored disks, read through the vmRowId index. The diff below compares with these
    -- rows only: against the whole table the planner, which expects 100 elements per jsonb array, hashed
    -- every stored disk for each report (a sequential scan of HardDrive: 73 ms at 52,000 disks).
    drives_had AS (
      SELECT h."vmRowId", h."position", h."path", h."sizeBytes" FROM "HardDrive" h
      WHERE h."vmRowId" IN (SELECT "id" FROM vm_rows)),
    drives_gone AS (
      DELETE FROM "HardDrive" h WHERE h."vmRowId" IN (SELECT "id" FROM vm_rows)
        AND NOT EXISTS (SELECT 1 FROM drives d WHERE d."vmRowId" = h."vmRowId" AND d."position" = h."position"
                        AND d."path" = h."path" AND d."sizeBytes" = h."sizeBytes")),
    drives_up AS (
      INSERT INTO "HardDrive" ("id", "vmRowId", "position", "path", "sizeBytes")
      SELECT gen_random_uuid(), d."vmRowId", d."position", d."path", d."sizeBytes" FROM drives d
      WHERE NOT EXISTS (SELECT 1 FROM drives_had h WHERE h."vmRowId" = d."vmRowId" AND h."position" = d."position"
                        AND h."path" = d."path" AND h."sizeBytes" = d."sizeBytes"))`;
}

/** The CTE name prefix of each list. */
const PREFIX: Record<ListName, string> = {
  networks: "net",
  switches: "sw",
  networkAdapters: "nic",
  firewallRules: "fw",
  volumes: "vol",
};

/** The store statement (built on first use; the same text for every report). */
let storeText: string | undefined;
function storeStatement(): string {
  const now = `${$("now")}::timestamp(3)`;
  storeText ??= `
    WITH host_up AS (
      UPDATE "Host" SET "fqdn" = ${$("fqdn")}, "domain" = ${$("domain")}, "cpuVendor" = ${$("cpuVendor")}::"CpuVendor",
        "cpuModel" = ${$("cpuModel")}, "logicalProcessorCount" = ${$("logicalProcessorCount")}::integer,
        "memoryCapacityBytes" = ${$("memoryCapacityBytes")}::bigint,
        "memoryAvailableBytes" = ${$("memoryAvailableBytes")}::bigint,
        "supportedVmVersions" = ${$("supportedVmVersions")}::text[],
        "virtualMachinePath" = ${$("virtualMachinePath")}, "virtualHardDiskPath" = ${$("virtualHardDiskPath")},
        "delegations" = ${$("delegations")}::text[], "delegationsKnown" = ${$("delegationsKnown")}::boolean,
        "agentLastSeenAt" = ${now}, "agentVersion" = ${$("agentVersion")}, "agentBackend" = ${$("agentBackend")},
        "inventoryReportedAt" = ${now}, "inventoryHash" = ${$("hash")}, "updatedAt" = ${now}
      WHERE "id" = $1::uuid
      RETURNING "id"),
    settings_up AS (
      INSERT INTO "MigrationSettings" AS t ("hostId", "enabled", "authenticationType", "performanceOption",
        "maximumVirtualMachineMigrations", "maximumStorageMigrations", "useAnyNetworkForMigration")
      SELECT "id", ${$("enabled")}::boolean, ${$("authenticationType")}::"MigrationAuthenticationType",
        ${$("performanceOption")}::"MigrationPerformanceOption", ${$("maximumVirtualMachineMigrations")}::integer,
        ${$("maximumStorageMigrations")}::integer, ${$("useAnyNetworkForMigration")}::boolean FROM host_up
      ON CONFLICT ("hostId") DO UPDATE SET "enabled" = EXCLUDED."enabled",
        "authenticationType" = EXCLUDED."authenticationType", "performanceOption" = EXCLUDED."performanceOption",
        "maximumVirtualMachineMigrations" = EXCLUDED."maximumVirtualMachineMigrations",
        "maximumStorageMigrations" = EXCLUDED."maximumStorageMigrations",
        "useAnyNetworkForMigration" = EXCLUDED."useAnyNetworkForMigration"),
    ${LIST_NAMES.map((name) => listCtes(PREFIX[name], LISTS[name], name)).join(",")},
    ${vmCtes()}
    SELECT 1 FROM host_up`;
  return storeText;
}

export interface StoreInventory {
  hostId: string;
  report: InventoryReport;
  hash: string;
  agent: { version: string; backend: string };
  now: Date;
}

/** The store statement's values, in PARAMS order. */
function storeValues(input: StoreInventory): unknown[] {
  const { hostId, report, hash, agent } = input;
  const { host: h, settings } = report;
  const { networks, ...s } = settings;
  // A timestamp literal with a zone is read as its UTC wall time, which is how Prisma stores DateTime.
  const now = input.now.toISOString();
  const lists: Record<ListName, Record<string, unknown>[]> = {
    networks,
    switches: report.switches,
    networkAdapters: report.networkAdapters,
    firewallRules: report.firewallRules,
    volumes: report.volumes,
  };
  const list = (name: ListName) => json(firstPerKey(lists[name], (r) => String(r[LISTS[name].key])));
  const values: Record<Param, unknown> = {
    hostId,
    fqdn: h.fqdn,
    domain: h.domain,
    cpuVendor: h.cpuVendor,
    cpuModel: h.cpuModel,
    logicalProcessorCount: h.logicalProcessorCount,
    memoryCapacityBytes: h.memoryCapacityBytes.toString(),
    memoryAvailableBytes: h.memoryAvailableBytes.toString(),
    supportedVmVersions: h.supportedVmVersions,
    virtualMachinePath: h.virtualMachinePath,
    virtualHardDiskPath: h.virtualHardDiskPath,
    delegations: h.delegations ?? [],
    delegationsKnown: h.delegations !== null,
    now,
    agentVersion: agent.version,
    agentBackend: agent.backend,
    hash,
    enabled: s.enabled,
    authenticationType: s.authenticationType,
    performanceOption: s.performanceOption,
    maximumVirtualMachineMigrations: s.maximumVirtualMachineMigrations,
    maximumStorageMigrations: s.maximumStorageMigrations,
    useAnyNetworkForMigration: s.useAnyNetworkForMigration,
    networks: list("networks"),
    switches: list("switches"),
    networkAdapters: list("networkAdapters"),
    firewallRules: list("firewallRules"),
    volumes: list("volumes"),
    vms: json(firstPerKey(report.vms, (v) => v.vmId)),
    settledAfter: new Date(input.now.getTime() - MOVE_SETTLE_MS).toISOString(),
  };
  return PARAMS.map((p) => values[p]);
}

/**
 * Stores a changed report in ONE statement (atomic by itself): the host's facts, its migration
 * settings, every list and the VMs with their disks. Returns false when the host row is gone.
 */
export async function storeInventory(
  db: Queryable,
  input: StoreInventory,
  { prepared }: StatementOptions,
): Promise<boolean> {
  const result = await db.query(
    hotStatement(prepared, "ferry_inventory_store", storeStatement(), storeValues(input)),
  );
  return (result.rowCount ?? 0) > 0;
}

const SEEN_TEXT = `
  WITH seen AS (
    UPDATE "Host" SET "agentLastSeenAt" = $3::timestamp(3), "updatedAt" = $3::timestamp(3)
    WHERE "id" = $1::uuid AND split_part("inventoryHash", ':', 1) = $2
    RETURNING "id")
  SELECT h."inventoryHash" AS "hash", EXISTS (SELECT 1 FROM seen) AS "unchanged",
    CASE WHEN EXISTS (SELECT 1 FROM seen) THEN '[]'::json ELSE COALESCE((
      SELECT json_agg(json_build_object('vmId', v."vmId", 'hostName', o."name") ORDER BY v."vmId")
      FROM "VirtualMachine" v JOIN "Host" o ON o."id" = v."hostId"
      WHERE v."vmId" = ANY($4::text[]) AND v."hostId" <> $1::uuid), '[]'::json) END AS "held"
  FROM "Host" h WHERE h."id" = $1::uuid`;

export interface StoredState {
  /** The stored "<report>:<shape>" hash before this report (null before the first). */
  hash: string | null;
  /** The report matched the stored one: only agentLastSeenAt (and updatedAt) were refreshed. */
  unchanged: boolean;
  /** Reported VMs that another host holds (none when unchanged). */
  held: { vmId: string; hostName: string }[];
}

/**
 * One round trip before a report is stored: when its hash `full` is the stored report's, refreshes
 * lastSeen and says so; otherwise reads the stored hash and the reported VMs other hosts hold.
 * Null when the host row is gone.
 */
export async function readStoredInventory(
  db: Queryable,
  input: { hostId: string; full: string; now: Date; vmIds: string[] },
  { prepared }: StatementOptions,
): Promise<StoredState | null> {
  const { rows } = await db.query<StoredState>(
    hotStatement(prepared, "ferry_inventory_seen", SEEN_TEXT, [
      input.hostId,
      input.full,
      input.now.toISOString(),
      input.vmIds,
    ]),
  );
  return rows[0] ?? null;
}
