// Issue 16 (ingestion): the inventory statement runs on the pool as a prepared statement, with its
// disks diffed against the reported VMs' own disks, and the stored hash and held VMs are read in one
// round trip before it. What it stores must not change: the same reports through today's statement and
// through the frozen one before these changes (inventory-sql-v1.ts) leave the same rows, and rewrite
// the same rows (a row left untouched keeps its tuple: no write, no dead tuple, updatedAt unchanged).
// On PGlite by default; on PostgreSQL (named prepared statements) with DATABASE_URL.

import { readStoredInventory, storeInventory } from "@ferry/api/testing";
import { type InventoryReport, inventorySchema } from "@ferry/protocol";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { storeInventoryV1 } from "./inventory-sql-v1.ts";

let api: TestApi;
let hostId: string;
let otherHostId: string;
const HELD_VM = "bbbbbbbb-0000-4000-8000-00000000000b";

beforeAll(async () => {
  api = await startTestApi();
  const prisma = api.server.app.db.prisma;
  hostId = (await prisma.host.create({ data: { name: "HV-STORE" } })).id;
  const other = await prisma.host.create({ data: { name: "HV-OTHER" } });
  otherHostId = other.id;
  await prisma.virtualMachine.create({
    data: {
      vmId: HELD_VM,
      hostId: other.id,
      name: "held",
      state: "RUNNING",
      cpuUsage: 1,
      memoryAssignedBytes: 1n,
      memoryStartupBytes: 1n,
      uptimeSeconds: 1,
      generation: 2,
      configurationVersion: "10.0",
      processorCompatibilityForMigration: false,
      path: "C:\\held",
      switchNames: [],
      hardDrives: { create: [{ position: 0, path: "C:\\held.vhdx", sizeBytes: 5n }] },
    },
  });
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

const vm = (n: number, drives: [string, number][], extra: Record<string, unknown> = {}) => ({
  vmId: `aaaaaaaa-0000-4000-8000-00000000000${n}`,
  name: `vm-${n}`,
  state: "RUNNING",
  status: "Operating normally",
  cpuUsage: n,
  memoryAssignedBytes: String(n * 1_073_741_824),
  memoryStartupBytes: "1073741824",
  uptimeSeconds: n * 100,
  generation: 2,
  configurationVersion: "10.0",
  processorCompatibilityForMigration: false,
  path: `C:\\VMs\\vm-${n}`,
  hardDrives: drives.map(([path, size]) => ({ path, sizeBytes: String(size) })),
  switchNames: ["External"],
  ...extra,
});

const base = {
  host: {
    name: "HV-STORE",
    fqdn: "hv-store.lab.local",
    domain: "lab.local",
    cpuVendor: "INTEL",
    cpuModel: "Xeon",
    logicalProcessorCount: 16,
    memoryCapacityBytes: "137438953472",
    memoryAvailableBytes: "68719476736",
    supportedVmVersions: ["9.0", "10.0"],
    virtualMachinePath: "C:\\VMs",
    virtualHardDiskPath: "C:\\VHDs",
    delegations: ["cifs/hv-other", 'odd "quoted" \\ name'],
  },
  settings: {
    enabled: true,
    authenticationType: "KERBEROS",
    performanceOption: "SMB",
    maximumVirtualMachineMigrations: 2,
    maximumStorageMigrations: 2,
    useAnyNetworkForMigration: false,
    networks: [
      { subnet: "10.0.0.0/24", priority: 1 },
      { subnet: "10.0.1.0/24", priority: 2 },
    ],
  },
  switches: [
    { name: "External", switchType: "External" },
    { name: "Internal", switchType: "Internal" },
  ],
  networkAdapters: [
    { name: "NIC1", linkSpeedBps: "10000000000", rdmaCapable: true, ipAddresses: ["10.0.0.5"] },
    { name: "NIC2", linkSpeedBps: "1000000000", rdmaCapable: false, ipAddresses: [] },
  ],
  firewallRules: [
    { name: "VM-Mig-TCP", displayName: "Live migration", enabled: true, protocol: "TCP", localPort: "6600" },
    { name: "SMB", displayName: "SMB", enabled: true, protocol: "TCP", localPort: "445" },
  ],
  volumes: [
    { root: "C:\\", freeBytes: "100000000000" },
    { root: "D:\\", freeBytes: "200000000000" },
  ],
  vms: [
    vm(1, [
      ["C:\\VHDs\\vm-1.vhdx", 10],
      ["C:\\VHDs\\vm-1-data.vhdx", 20],
    ]),
    vm(2, [["C:\\VHDs\\vm-2.vhdx", 30]]),
    vm(3, []),
  ],
};

type Wire = typeof base;
const step = (change: (w: Wire) => void): Wire => {
  const w = structuredClone(base);
  change(w);
  return w;
};

/** Reports in order, each a change of the one before (or of the first). */
const back = backStep();
const REPORTS: [string, Wire][] = [
  ["first report", base],
  [
    "telemetry only",
    step((w) => {
      w.host.memoryAvailableBytes = "60000000000";
      w.vms = w.vms.map((v, i) => ({ ...v, cpuUsage: 50 + i, uptimeSeconds: v.uptimeSeconds + 60 }));
    }),
  ],
  [
    "disks resized, added, removed and reordered",
    step((w) => {
      w.vms[0]!.hardDrives = [
        { path: "C:\\VHDs\\vm-1-data.vhdx", sizeBytes: "20" },
        { path: "C:\\VHDs\\vm-1.vhdx", sizeBytes: "11" },
      ];
      w.vms[1]!.hardDrives = [];
      w.vms[2]!.hardDrives = [{ path: "C:\\VHDs\\vm-3.vhdx", sizeBytes: "40" }];
    }),
  ],
  [
    "lists changed, with a duplicate key",
    step((w) => {
      w.settings.networks = [
        { subnet: "10.0.1.0/24", priority: 5 },
        { subnet: "10.0.2.0/24", priority: 3 },
        { subnet: "10.0.2.0/24", priority: 9 },
      ];
      w.settings.maximumVirtualMachineMigrations = 4;
      w.switches = [{ name: "External", switchType: "External" }];
      w.networkAdapters[0]!.ipAddresses = ["10.0.0.5", "10.0.0.6"];
      w.firewallRules[1]!.enabled = false;
      w.volumes = [
        { root: "C:\\", freeBytes: "99000000000" },
        { root: "E:\\", freeBytes: "1" },
      ];
      w.host.delegations = [];
    }),
  ],
  ["a VM gone, one new, one another host holds, one renamed and stopped", moved(true)],
  ["the VM back (a new row), the held one no longer reported", back],
  ["the same report again", back],
];

/** Step 5's report: VM 3 gone, VM 4 new, VM 1 renamed and stopped (with the held VM when `held`). */
function moved(held: boolean): Wire {
  return step((w) => {
    w.vms = [
      vm(1, [["C:\\VHDs\\vm-1.vhdx", 10]], { name: "renamed", state: "OFF", cpuUsage: 0, uptimeSeconds: 0 }),
      vm(2, [["C:\\VHDs\\vm-2.vhdx", 30]]),
      vm(4, [["C:\\VHDs\\vm-4.vhdx", 50]], { isClustered: true, status: null }),
      ...(held ? [{ ...vm(5, [["C:\\stolen.vhdx", 1]]), vmId: HELD_VM }] : []),
    ];
    w.host.delegations = null as never;
  });
}

function backStep(): Wire {
  const w = moved(false);
  w.vms.push(vm(3, [["C:\\VHDs\\vm-3.vhdx", 40]]));
  return w;
}
const T0 = Date.parse("2026-12-02T12:00:00.000Z");

/** The host's rows, by their natural keys (row ids are random), each with whether its tuple moved. */
async function snapshot(c: pg.PoolClient) {
  const q = async (sql: string, values: unknown[]) => (await c.query(sql, values)).rows;
  return {
    host: await q(
      `SELECT "fqdn","domain","cpuVendor","cpuModel","logicalProcessorCount","memoryCapacityBytes","memoryAvailableBytes",
        "supportedVmVersions","virtualMachinePath","virtualHardDiskPath","delegations","delegationsKnown","agentLastSeenAt",
        "agentVersion","agentBackend","inventoryReportedAt","inventoryHash","updatedAt", ctid::text
       FROM "Host" WHERE "id" = $1`,
      [hostId],
    ),
    settings: await q(`SELECT *, ctid::text FROM "MigrationSettings" WHERE "hostId" = $1`, [hostId]),
    networks: await q(
      `SELECT "subnet","priority", ctid::text FROM "MigrationNetwork" WHERE "hostId" = $1 ORDER BY 1`,
      [hostId],
    ),
    switches: await q(
      `SELECT "name","switchType", ctid::text FROM "VirtualSwitch" WHERE "hostId" = $1 ORDER BY 1`,
      [hostId],
    ),
    adapters: await q(
      `SELECT "name","linkSpeedBps","rdmaCapable","ipAddresses", ctid::text FROM "NetworkAdapter" WHERE "hostId" = $1 ORDER BY 1`,
      [hostId],
    ),
    firewall: await q(
      `SELECT "name","displayName","enabled","protocol","localPort", ctid::text FROM "FirewallRule" WHERE "hostId" = $1 ORDER BY 1`,
      [hostId],
    ),
    volumes: await q(`SELECT "root","freeBytes", ctid::text FROM "Volume" WHERE "hostId" = $1 ORDER BY 1`, [
      hostId,
    ]),
    vms: await q(
      `SELECT v."vmId", h."name" AS "host", v."name", v."state", v."status", v."cpuUsage", v."memoryAssignedBytes",
        v."memoryStartupBytes", v."uptimeSeconds", v."generation", v."configurationVersion",
        v."processorCompatibilityForMigration", v."isClustered", v."path", v."switchNames", v."updatedAt", v.ctid::text
       FROM "VirtualMachine" v JOIN "Host" h ON h."id" = v."hostId" ORDER BY 1`,
      [],
    ),
    disks: await q(
      `SELECT v."vmId", d."position", d."path", d."sizeBytes", d.ctid::text
       FROM "HardDrive" d JOIN "VirtualMachine" v ON v."id" = d."vmRowId" ORDER BY 1, 2`,
      [],
    ),
  };
}

type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Each row without its tuple id, and whether its tuple is new since the previous snapshot. */
function compareable(now: Snapshot, before: Snapshot | null) {
  const out: Record<string, unknown[]> = {};
  for (const [table, rows] of Object.entries(now)) {
    const old = new Set(((before?.[table as keyof Snapshot] ?? []) as { ctid: string }[]).map((r) => r.ctid));
    out[table] = (rows as { ctid: string }[]).map(({ ctid, ...row }) => ({
      ...row,
      rewritten: !old.has(ctid),
    }));
  }
  return out;
}

/** Runs every report through `store` in one transaction (rolled back), with a snapshot after each. */
async function run(store: (c: pg.PoolClient, input: StoreInput) => Promise<boolean>) {
  const c = await api.server.app.db.pool.connect();
  const steps: Record<string, unknown[]>[] = [];
  try {
    await c.query("BEGIN");
    let before: Snapshot | null = await snapshot(c);
    for (const [i, [, wire]] of REPORTS.entries()) {
      const report = inventorySchema.parse(wire);
      // The product leaves out the VMs another host holds (ingestInventory); the statement must not
      // re-home one either way, so it gets them here.
      const stored = await store(c, {
        hostId,
        report,
        hash: `hash-${i}:shape`,
        agent: { version: `1.${i}`, backend: "simulator" },
        now: new Date(T0 + i * 1000),
      });
      expect(stored).toBe(true);
      const now = await snapshot(c);
      steps.push(compareable(now, before));
      before = now;
    }
  } finally {
    await c.query("ROLLBACK");
    c.release();
  }
  return steps;
}

interface StoreInput {
  hostId: string;
  report: InventoryReport;
  hash: string;
  agent: { version: string; backend: string };
  now: Date;
}

describe("the inventory statement", () => {
  it("stores the same rows and rewrites the same rows as the statement before it", async () => {
    const prepared = api.server.app.db.kind === "postgres";
    const reference = await run((c, input) =>
      storeInventoryV1(
        {
          $executeRaw: async (q: { text: string; values: unknown[] }) =>
            (await c.query(q.text, q.values)).rowCount ?? 0,
        } as never,
        input,
      ),
    );
    // Twice: on PostgreSQL the second run uses the statement this connection prepared in the first.
    for (let i = 0; i < 2; i++) {
      const today = await run((c, input) => storeInventory(c, input, { prepared }));
      for (const [s, [name]] of REPORTS.entries()) expect(today[s], name).toEqual(reference[s]);
    }
    // The comparison means something: the reports did write, and left rows alone.
    const flat = (s: number, table: string) =>
      reference[s]![table] as { rewritten: boolean; vmId?: string }[];
    expect(flat(1, "vms").every((v) => v.vmId === HELD_VM || v.rewritten)).toBe(true);
    expect(flat(1, "disks").some((d) => d.rewritten)).toBe(false);
    expect(flat(6, "vms").some((v) => v.rewritten)).toBe(false);
    expect(flat(4, "vms").find((v) => v.vmId === HELD_VM)).toMatchObject({
      host: "HV-OTHER",
      rewritten: false,
    });
    expect(flat(4, "vms").map((v) => v.vmId)).not.toContain("aaaaaaaa-0000-4000-8000-000000000003");
    expect(
      flat(5, "disks")
        .filter((d) => d.rewritten)
        .map((d) => d.vmId),
    ).toEqual(["aaaaaaaa-0000-4000-8000-000000000003"]);
  });
});

describe("the read before a report", () => {
  const prepared = () => ({ prepared: api.server.app.db.kind === "postgres" });
  const now = new Date(T0);

  it("says unchanged and refreshes lastSeen only when the stored report has the same hash", async () => {
    const prisma = api.server.app.db.prisma;
    await prisma.host.update({
      where: { id: hostId },
      data: { inventoryHash: "aaa:bbb", agentLastSeenAt: null },
    });
    const pool = api.server.app.db.pool;
    const changed = await readStoredInventory(
      pool,
      { hostId, full: "ccc", now, vmIds: [HELD_VM] },
      prepared(),
    );
    expect(changed).toEqual({
      hash: "aaa:bbb",
      unchanged: false,
      held: [{ vmId: HELD_VM, hostName: "HV-OTHER" }],
    });
    expect((await prisma.host.findUniqueOrThrow({ where: { id: hostId } })).agentLastSeenAt).toBeNull();

    const later = new Date(T0 + 5000);
    const same = await readStoredInventory(
      pool,
      { hostId, full: "aaa", now: later, vmIds: [HELD_VM] },
      prepared(),
    );
    expect(same).toEqual({ hash: "aaa:bbb", unchanged: true, held: [] });
    const host = await prisma.host.findUniqueOrThrow({ where: { id: hostId } });
    expect(host.agentLastSeenAt).toEqual(later);
    expect(host.updatedAt).toEqual(later);
    expect(host.inventoryHash).toBe("aaa:bbb");

    // The other host's own VMs are not "held" from it.
    const own = await readStoredInventory(
      pool,
      { hostId: otherHostId, full: "x", now, vmIds: [HELD_VM] },
      prepared(),
    );
    expect(own?.held).toEqual([]);
  });

  it("is null for a host that no longer exists", async () => {
    const gone = "00000000-0000-4000-8000-000000000000";
    const pool = api.server.app.db.pool;
    expect(
      await readStoredInventory(pool, { hostId: gone, full: "x", now, vmIds: [] }, prepared()),
    ).toBeNull();
  });
});
