// The `hosts` page in two SQL statements (issue 16 item 4), the shape a fleet dashboard asks for:
// hosts with their settings, migration networks, firewall rules, adapters and VM count in one, and
// the first VMs of every host in the other. Prisma planned it as eleven (one per relation, the VMs of
// every host in full and cut in JS) and compiled each through its WASM query compiler; on the
// embedded database, where every statement and every compilation shares one thread with the agents'
// reports, that was most of a dashboard's cost. Rows come back in the shape Prisma would give for the
// same `query` (a superset), so Pothos resolves the nested fields from them as from Prisma's; any
// other shape (a filter, a cursor, volumes, switches, a VM's relations) keeps Prisma's path.
import { Prisma, type PrismaClient } from "../../generated/prisma/client.ts";

type Query = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const NETWORK_ORDER = [{ priority: "asc" }, { subnet: "asc" }];
const VM_ORDER = [{ name: "asc" }, { id: "asc" }];
/** MigrationSettings with its `networks` field (hosts/schema.ts). */
const SETTINGS_WITH_NETWORKS = {
  include: { host: { select: { migrationNetworks: { orderBy: NETWORK_ORDER } } } },
};
const COLUMNS = {
  migrationNetworks: ["id", "hostId", "subnet", "priority"],
  firewallRules: ["id", "hostId", "name", "displayName", "enabled", "protocol", "localPort"],
  networkAdapters: ["id", "hostId", "name", "linkSpeedBps", "rdmaCapable", "ipAddresses"],
} as const;
const ORDER = {
  migrationNetworks: NETWORK_ORDER,
  firewallRules: { name: "asc" },
  networkAdapters: { name: "asc" },
} as const;

/** A list of plain rows: all columns or some, unordered or in the order this page reads them in. */
function plainList(v: unknown, relation: keyof typeof COLUMNS): boolean {
  if (v === true) return true;
  if (!isObject(v)) return false;
  const columns: readonly string[] = COLUMNS[relation];
  return Object.entries(v).every(
    ([k, x]) =>
      (k === "select" &&
        isObject(x) &&
        Object.entries(x).every(([c, on]) => on === true && columns.includes(c))) ||
      (k === "orderBy" && same(x, ORDER[relation])),
  );
}

/** The first `take` VMs of the host by name, no filter, no cursor, the VM's own columns. */
function firstVms(v: unknown): number | null {
  if (!isObject(v)) return null;
  const { where, orderBy, take, skip, ...rest } = v;
  const plain =
    Object.keys(rest).length === 0 &&
    isObject(where) &&
    Object.keys(where).length === 0 &&
    same(orderBy, VM_ORDER) &&
    (skip === undefined || skip === 0) &&
    typeof take === "number" &&
    Number.isInteger(take) &&
    take > 0;
  return plain ? (take as number) : null;
}

const countsVms = (v: unknown) =>
  isObject(v) &&
  Object.keys(v).length === 1 &&
  isObject(v.select) &&
  Object.keys(v.select).length === 1 &&
  (v.select.vms === true || same(v.select.vms, { where: {} }));

export interface HostsPlan {
  take: number;
  settings: boolean;
  networks: boolean;
  firewallRules: boolean;
  adapters: boolean;
  vmCount: boolean;
  /** VMs per host, or null when not asked for. */
  vms: number | null;
}

/** The plan for Pothos's `query` of an unfiltered first page, or null when it takes Prisma's path. */
export function hostsPlan(query: Query): HostsPlan | null {
  const { take, skip, include, ...rest } = query;
  if (Object.keys(rest).length > 0 || (skip !== undefined && skip !== 0)) return null;
  if (include !== undefined && !isObject(include)) return null;
  if (typeof take !== "number" || !Number.isInteger(take) || take < 1) return null;
  const plan: HostsPlan = {
    take,
    settings: false,
    networks: false,
    firewallRules: false,
    adapters: false,
    vmCount: false,
    vms: null,
  };
  for (const [key, v] of Object.entries(include === undefined ? {} : include)) {
    if (key === "migrationSettings" && (v === true || same(v, SETTINGS_WITH_NETWORKS))) {
      // The networks of the settings' `networks` field come with them (a small list per host).
      plan.settings = true;
      plan.networks = true;
    } else if (key === "migrationNetworks" && plainList(v, key)) plan.networks = true;
    else if (key === "firewallRules" && plainList(v, key)) plan.firewallRules = true;
    else if (key === "networkAdapters" && plainList(v, key)) plan.adapters = true;
    else if (key === "_count" && countsVms(v)) plan.vmCount = true;
    else if (key === "vms" && firstVms(v) !== null) plan.vms = firstVms(v);
    else return null;
  }
  return plan;
}

type Row = Record<string, unknown> & { id: string };

const json = <T>(v: unknown): T => (typeof v === "string" ? JSON.parse(v) : v) as T;

/**
 * The first `plan.take` hosts by (name, id) with what the plan asks for, as Prisma would return
 * them for the same query (relation lists ordered as the fields order them).
 */
export async function hostsPage(prisma: PrismaClient, plan: HostsPlan): Promise<Row[]> {
  const parts = [Prisma.sql`h.*`];
  if (plan.settings)
    parts.push(Prisma.sql`s."hostId" AS "s_hostId", s."enabled" AS "s_enabled",
      s."authenticationType" AS "s_authenticationType", s."performanceOption" AS "s_performanceOption",
      s."maximumVirtualMachineMigrations" AS "s_maximumVirtualMachineMigrations",
      s."maximumStorageMigrations" AS "s_maximumStorageMigrations",
      s."useAnyNetworkForMigration" AS "s_useAnyNetworkForMigration"`);
  if (plan.networks)
    parts.push(Prisma.sql`(SELECT coalesce(json_agg(json_build_object('id', n."id", 'hostId', n."hostId",
      'subnet', n."subnet", 'priority', n."priority") ORDER BY n."priority", n."subnet"), '[]')
      FROM "MigrationNetwork" n WHERE n."hostId" = h."id") AS "x_networks"`);
  if (plan.firewallRules)
    parts.push(Prisma.sql`(SELECT coalesce(json_agg(json_build_object('id', f."id", 'hostId', f."hostId",
      'name', f."name", 'displayName', f."displayName", 'enabled', f."enabled", 'protocol', f."protocol",
      'localPort', f."localPort") ORDER BY f."name"), '[]')
      FROM "FirewallRule" f WHERE f."hostId" = h."id") AS "x_firewallRules"`);
  if (plan.adapters)
    // linkSpeedBps as text: a JSON number loses bigint precision.
    parts.push(Prisma.sql`(SELECT coalesce(json_agg(json_build_object('id', a."id", 'hostId', a."hostId",
      'name', a."name", 'linkSpeedBps', a."linkSpeedBps"::text, 'rdmaCapable', a."rdmaCapable",
      'ipAddresses', a."ipAddresses") ORDER BY a."name"), '[]')
      FROM "NetworkAdapter" a WHERE a."hostId" = h."id") AS "x_adapters"`);
  if (plan.vmCount)
    parts.push(
      Prisma.sql`(SELECT count(*)::int FROM "VirtualMachine" v WHERE v."hostId" = h."id") AS "x_vmCount"`,
    );
  const settingsJoin = plan.settings
    ? Prisma.sql`LEFT JOIN "MigrationSettings" s ON s."hostId" = h."id"`
    : Prisma.empty;
  const raw = await prisma.$queryRaw<Record<string, unknown>[]>`
    SELECT ${Prisma.join(parts)} FROM "Host" h ${settingsJoin}
    ORDER BY h."name", h."id" LIMIT ${plan.take}`;
  const vms =
    plan.vms === null
      ? null
      : await firstVmsOf(
          prisma,
          raw.map((r) => r.id as string),
          plan.vms,
        );
  return raw.map((r) => {
    const host: Row = { id: r.id as string };
    const settings: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k.startsWith("s_")) settings[k.slice(2)] = v;
      else if (!k.startsWith("x_")) host[k] = v;
    }
    const networks = plan.networks ? json<unknown[]>(r.x_networks) : undefined;
    if (plan.networks) host.migrationNetworks = networks;
    if (plan.settings)
      host.migrationSettings =
        settings.hostId == null ? null : { ...settings, host: { migrationNetworks: networks ?? [] } };
    if (plan.firewallRules) host.firewallRules = json<unknown[]>(r.x_firewallRules);
    if (plan.adapters)
      host.networkAdapters = json<{ linkSpeedBps: string }[]>(r.x_adapters).map((a) => ({
        ...a,
        linkSpeedBps: BigInt(a.linkSpeedBps),
      }));
    if (plan.vmCount) host._count = { vms: r.x_vmCount };
    if (vms) host.vms = vms.get(host.id) ?? [];
    return host;
  });
}

/** The first `take` VMs of each host by (name, id), every column, in one statement. */
async function firstVmsOf(prisma: PrismaClient, hostIds: string[], take: number) {
  const byHost = new Map<string, Record<string, unknown>[]>();
  if (hostIds.length === 0) return byHost;
  const rows = await prisma.$queryRaw<Record<string, unknown>[]>`
    SELECT * FROM (
      SELECT v.*, row_number() OVER (PARTITION BY v."hostId" ORDER BY v."name", v."id") AS "x_rank"
      FROM "VirtualMachine" v WHERE v."hostId" = ANY(${hostIds}::uuid[])
    ) r WHERE r."x_rank" <= ${take} ORDER BY r."hostId", r."name", r."id"`;
  for (const { x_rank: _rank, ...vm } of rows) {
    const list = byHost.get(vm.hostId as string);
    if (list) list.push(vm);
    else byHost.set(vm.hostId as string, [vm]);
  }
  return byHost;
}
