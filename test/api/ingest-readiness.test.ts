// Issue 16: what follows an inventory report. The host's readiness (and its HOST_READINESS_CHANGED
// signal) is recomputed only when the report changed more than telemetry; and the reactions (drift,
// readiness) run after the report is answered, in batches: a burst of first reports costs a few
// readiness evaluations, not one per report, and no answer waits for another report's reactions
// (2,000 agents connecting at once got no answer within 30 s).
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { toWire } from "@ferry/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
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

async function wires(hosts: number, seed: number): Promise<Wire[]> {
  const world = SimWorld.create(generateFleet({ hosts, vmsPerHost: 2, seed }));
  return Promise.all(
    world.hostNames().map(async (name) => toWire(await world.backend(name).getInventory()) as Wire),
  );
}

const report = async (credential: string, inventory: Wire) =>
  (
    await api.gqlOk<{ agentReportInventory: { changed: boolean } }>(
      REPORT,
      { input: { inventory, agentVersion: "1", backend: "simulator" } },
      credential,
    )
  ).agentReportInventory.changed;

/** The host's last recorded readiness summary (HostReadinessSeen), undefined before the first. */
const summary = async (name: string) =>
  (
    await api.server.app.db.prisma.$queryRaw<{ summary: string }[]>`
      SELECT "summary" FROM "HostReadinessSeen" r JOIN "Host" h ON h."id" = r."hostId" WHERE h."name" = ${name}`
  )[0]?.summary;

/** A counter or histogram count from /metrics (the sum over its labels). */
async function metric(name: string): Promise<number> {
  const text = await (
    await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

/** Runs `work` (reports), then waits until the reactions have covered `hosts` more hosts. */
async function reactedTo(hosts: number, work: () => Promise<void>) {
  const before = await metric("ferry_inventory_reactions_total");
  await work();
  await eventually(
    async () => (await metric("ferry_inventory_reactions_total")) >= before + hosts,
    120_000,
    `the reactions to ${hosts} host(s)`,
  );
}

const readinessStatements = (sql: string[]) => sql.filter((q) => q.includes('"HostReadinessSeen"'));

describe("readiness after an inventory report", () => {
  it("is not recomputed for a telemetry-only report (stored all the same), and is for a settings change", async () => {
    const [wire] = await wires(1, 3);
    const name = wire!.host.name;
    expect(wire!.firewallRules.length).toBeGreaterThan(0);
    const agent = await enrolledAgent(api, name);

    // The first report: readiness is recorded, moments after the answer.
    await reactedTo(1, async () => {
      expect(await report(agent.credential, wire!)).toBe(true);
    });
    const first = await eventually(() => summary(name), 120_000, "the first readiness summary");
    expect(first).toContain("liveMigrationFirewallRule:");

    // Telemetry only: CPU, uptime, free memory. Its reactions ran (drift), readiness was not evaluated.
    const telemetry: Wire = {
      ...wire!,
      host: { ...wire!.host, memoryAvailableBytes: String(BigInt(wire!.host.memoryAvailableBytes) - 4096n) },
      vms: wire!.vms.map((v) => ({
        ...v,
        cpuUsage: (v.cpuUsage + 37) % 100,
        uptimeSeconds: v.uptimeSeconds + 60,
      })),
    };
    const quiet = await statementsDuring(() =>
      reactedTo(1, async () => {
        expect(await report(agent.credential, telemetry)).toBe(true);
      }),
    );
    expect(readinessStatements(quiet)).toEqual([]);
    const vm = await api.server.app.db.prisma.virtualMachine.findFirstOrThrow({
      where: { vmId: telemetry.vms[0]!.vmId },
    });
    expect(vm.cpuUsage).toBe(telemetry.vms[0]!.cpuUsage);

    // A readiness-relevant change: every firewall rule disabled.
    const disabled: Wire = {
      ...telemetry,
      firewallRules: telemetry.firewallRules.map((r) => ({ ...r, enabled: false })),
    };
    const loud = await statementsDuring(() =>
      reactedTo(1, async () => {
        expect(await report(agent.credential, disabled)).toBe(true);
      }),
    );
    expect(readinessStatements(loud).length).toBeGreaterThan(0);
    expect(await summary(name)).not.toBe(first);
  });

  it("answers a report while earlier reactions are still running; readiness catches up once they end", async () => {
    const [a, b] = await wires(2, 11);
    const agentA = await enrolledAgent(api, a!.host.name);
    const agentB = await enrolledAgent(api, b!.host.name);
    const hold = holdReactions();
    try {
      // Before, the answer waited for the reactions: this one would never come.
      expect(await report(agentA.credential, a!)).toBe(true);
      await eventually(async () => hold.held() === 1, 120_000, "the first batch to be held");
      expect(await report(agentB.credential, b!)).toBe(true);
      // Answered, and its readiness is still to come (its batch waits for the held one).
      expect(await summary(b!.host.name)).toBeUndefined();
      hold.release();
      const caughtUp = await eventually(
        () => summary(b!.host.name),
        120_000,
        "B's readiness after the release",
      );
      expect(caughtUp).toContain("liveMigrationFirewallRule:");
    } finally {
      hold.stop();
    }
  });

  it("a burst of first reports costs one readiness evaluation, not one per report", async () => {
    const N = 24;
    const [first, ...burst] = await wires(N + 1, 29);
    const agents: { credential: string }[] = [];
    for (const w of [first!, ...burst]) agents.push(await enrolledAgent(api, w.host.name));
    const hold = holdReactions();
    try {
      // A batch held (its readiness ran before the hold), so the burst's hosts gather meanwhile.
      expect(await report(agents[0]!.credential, first!)).toBe(true);
      await eventually(async () => hold.held() === 1, 120_000, "the first batch to be held");
      const batches = await metric("ferry_inventory_reaction_batch_seconds_count");
      const sql = await statementsDuring(() =>
        reactedTo(N, async () => {
          const changed = await Promise.all(burst.map((w, i) => report(agents[i + 1]!.credential, w)));
          expect(changed).toEqual(burst.map(() => true));
          hold.release();
        }),
      );
      for (const w of burst) expect(await summary(w.host.name), w.host.name).toBeDefined();
      // One readiness statement for the burst's batch (up to 500 hosts each); before, one per report
      // (at most one more: the once-a-minute sweep of every host, should it fall in this window).
      expect(readinessStatements(sql).length).toBeGreaterThanOrEqual(1);
      expect(readinessStatements(sql).length).toBeLessThanOrEqual(2);
      // The held batch and the burst's.
      expect((await metric("ferry_inventory_reaction_batch_seconds_count")) - batches).toBe(2);
    } finally {
      hold.stop();
    }
  });
});

/**
 * A reaction that holds each batch until released. Registered last: a batch's drift and readiness ran
 * before it holds, and the next batch waits behind it (one batch at a time).
 */
function holdReactions() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held = 0;
  const unlisten = api.server.app.hooks.on("inventoryIngested", async () => {
    held++;
    await released;
  });
  return {
    held: () => held,
    release: () => release(),
    stop() {
      release();
      unlisten();
    },
  };
}
