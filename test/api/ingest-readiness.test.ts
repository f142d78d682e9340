// Issue 16 item 1: after an inventory report the host's readiness (and its HOST_READINESS_CHANGED
// signal) is recomputed only when the report changed more than telemetry. Before, every report,
// changed or not, recomputed it: as much work as storing the report.
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { toWire } from "@ferry/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { statementsDuring } from "../helpers/sql.ts";
import { enrolledAgent } from "../security/principals.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

const REPORT = `mutation($input: AgentReportInventoryInput!) { agentReportInventory(input: $input) {
  changed errors { message } } }`;

type Wire = {
  host: { name: string; memoryAvailableBytes: string };
  firewallRules: { name: string; enabled: boolean }[];
  vms: { vmId: string; cpuUsage: number; uptimeSeconds: number }[];
};

describe("readiness after an inventory report", () => {
  it("is not recomputed for a telemetry-only report (stored all the same), and is for a settings change", async () => {
    const world = SimWorld.create(generateFleet({ hosts: 1, vmsPerHost: 3, seed: 3 }));
    const name = world.hostNames()[0]!;
    const wire = toWire(await world.backend(name).getInventory()) as Wire;
    expect(wire.firewallRules.length).toBeGreaterThan(0);
    const agent = await enrolledAgent(api, name);
    const prisma = api.server.app.db.prisma;
    const report = async (inventory: Wire) =>
      (
        await api.gqlOk<{ agentReportInventory: { changed: boolean } }>(
          REPORT,
          { input: { inventory, agentVersion: "1", backend: "simulator" } },
          agent.credential,
        )
      ).agentReportInventory.changed;
    const summary = async () =>
      (
        await prisma.$queryRaw<{ summary: string }[]>`
          SELECT "summary" FROM "HostReadinessSeen" r JOIN "Host" h ON h."id" = r."hostId" WHERE h."name" = ${name}`
      )[0]?.summary;
    const readinessStatements = (sql: string[]) => sql.filter((q) => q.includes('"HostReadinessSeen"'));

    // The first report: readiness is recorded (the reaction runs before the report is answered).
    expect(await report(wire)).toBe(true);
    const first = await summary();
    expect(first).toContain("liveMigrationFirewallRule:");

    // Telemetry only: CPU, uptime, free memory.
    const telemetry: Wire = {
      ...wire,
      host: { ...wire.host, memoryAvailableBytes: String(BigInt(wire.host.memoryAvailableBytes) - 4096n) },
      vms: wire.vms.map((v) => ({
        ...v,
        cpuUsage: (v.cpuUsage + 37) % 100,
        uptimeSeconds: v.uptimeSeconds + 60,
      })),
    };
    let changed = false;
    const quiet = await statementsDuring(async () => {
      changed = await report(telemetry);
    });
    expect(changed).toBe(true);
    expect(readinessStatements(quiet)).toEqual([]);
    const vm = await prisma.virtualMachine.findFirstOrThrow({ where: { vmId: telemetry.vms[0]!.vmId } });
    expect(vm.cpuUsage).toBe(telemetry.vms[0]!.cpuUsage);

    // A readiness-relevant change: every firewall rule disabled.
    const disabled: Wire = {
      ...telemetry,
      firewallRules: telemetry.firewallRules.map((r) => ({ ...r, enabled: false })),
    };
    const loud = await statementsDuring(async () => {
      expect(await report(disabled)).toBe(true);
    });
    expect(readinessStatements(loud).length).toBeGreaterThan(0);
    expect(await summary()).not.toBe(first);
  });
});
