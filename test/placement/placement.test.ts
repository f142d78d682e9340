// Issue 13 (placement part) through GraphQL with a simulated fleet: placementOptions, auto-placement,
// memory promised to the queue and reserves, moveVms spreading and per-item refusal, anti-affinity,
// estimates. One API and fleet for the file; tests that queue moves cancel them at their end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { CANCEL_GQL, type FleetIds, fleetIds } from "../migrations/world.ts";
import { MOVE_AUTO_GQL, MOVE_VMS_GQL, OPTIONS_GQL, placementWorld } from "./world.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: FleetIds;
const GiB = 1024 ** 3;
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { definition: placementWorld() });
  ids = await fleetIds((q) => api.gqlOk(q));
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

interface Option {
  host: { name: string };
  ok: boolean;
  score: number;
  reasons: string[];
  checks: { name: string; status: string; message: string }[];
}
interface Moved {
  id: string;
  state: string;
  scheduled: boolean;
  notBefore: string | null;
  placementReason: string | null;
  vmName?: string;
  destinationHost: { name: string };
}
interface Result {
  index: number;
  vm: string;
  migration: Moved | null;
  errors:
    | { __typename: string; message: string; field?: string; report?: { checks: Option["checks"] } }[]
    | null;
}

const options = async (vm: string) =>
  (await api.gqlOk<{ placementOptions: Option[] }>(OPTIONS_GQL, { vm: ids.vms[vm] })).placementOptions;

const moveVm = async (input: Record<string, unknown>) =>
  (
    await api.gqlOk<{
      moveVm: {
        migration: Moved | null;
        errors: { __typename: string; message: string; report?: { checks: Option["checks"] } }[] | null;
      };
    }>(MOVE_AUTO_GQL, { input })
  ).moveVm;

const moveVms = async (input: Record<string, unknown>) =>
  (
    await api.gqlOk<{
      moveVms: { results: Result[] | null; errors: { __typename: string; message: string }[] | null };
    }>(MOVE_VMS_GQL, { input })
  ).moveVms;

/** Cancels every active migration (the tests that queue moves leave the queue empty). */
async function cancelAll() {
  const active = await api.gqlOk<{ migrations: { edges: { node: { id: string } }[] } }>(
    "{ migrations(first: 200, filter: { active: true }) { edges { node { id } } } }",
  );
  for (const { node } of active.migrations.edges) await api.gqlOk(CANCEL_GQL, { id: node.id });
  await eventually(
    async () =>
      (
        await api.gqlOk<{ migrations: { totalCount: number } }>(
          "{ migrations(first: 1, filter: { active: true }) { totalCount } }",
        )
      ).migrations.totalCount === 0,
    60_000,
    "no active migration",
  );
}

describe("placementOptions", () => {
  it("lists every other host best first, each score explained, with preflight's verdicts", async () => {
    const opts = await options("vm-01");
    expect(opts.map((o) => o.host.name).sort()).toEqual(["HV2", "HV3", "HV4", "HV5"]);
    // HV4 is the emptiest Intel host; HV5 is AMD: the processor rule fails it.
    expect(opts[0]!.host.name).toBe("HV4");
    expect(opts.map((o) => o.ok)).toEqual([true, true, true, false]);
    const amd = opts.find((o) => o.host.name === "HV5")!;
    expect(amd.checks.find((c) => c.name === "processor")?.status).toBe("FAIL");
    expect(amd.reasons[0]).toMatch(/not possible: .*processor/);
    for (const o of opts) {
      expect(o.reasons.some((r) => r.startsWith("free memory after the move"))).toBe(true);
      expect(o.reasons.some((r) => r.startsWith("balance:"))).toBe(true);
      expect(o.reasons.some((r) => /switches/.test(r))).toBe(true);
      expect(o.reasons.some((r) => r.startsWith("pending incoming moves"))).toBe(true);
    }
    const scores = opts.filter((o) => o.ok).map((o) => o.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});

describe("memory: reserve and promised memory", () => {
  it("a host's reserve keeps auto-placement away; a named destination only warns", async () => {
    const set = await api.gqlOk<{
      setHostMemoryReserve: { hosts: { name: string; memoryReserveBytes: string }[] | null; errors: unknown };
    }>(
      `mutation($input: SetHostMemoryReserveInput!) {
        setHostMemoryReserve(input: $input) { hosts { name memoryReserveBytes } errors { __typename message } } }`,
      { input: { hosts: [ids.hosts.HV4], bytes: String(61 * GiB) } },
    );
    expect(set.setHostMemoryReserve.errors).toBeNull();
    expect(set.setHostMemoryReserve.hosts).toEqual([{ name: "HV4", memoryReserveBytes: String(61 * GiB) }]);
    try {
      const opts = await options("vm-01");
      const hv4 = opts.find((o) => o.host.name === "HV4")!;
      expect(hv4.ok).toBe(false);
      expect(hv4.checks.find((c) => c.name === "memory reserve")?.status).toBe("FAIL");
      expect(opts[0]!.host.name).not.toBe("HV4");
      const named = await moveVm({
        vm: ids.vms["vm-01"],
        destinationHost: ids.hosts.HV4,
        notBefore: inAnHour(),
      });
      expect(named.errors).toBeNull();
      expect(named.migration!.destinationHost.name).toBe("HV4");
      expect(named.migration!.placementReason).toBeNull();
    } finally {
      await api.gqlOk(
        `mutation($input: SetHostMemoryReserveInput!) { setHostMemoryReserve(input: $input) { errors { message } } }`,
        { input: { hosts: [ids.hosts.HV4], bytes: String(2 * GiB) } },
      );
      await cancelAll();
    }
    const audit = await api.gqlOk<{ auditLog: { edges: { node: { outcome: string } }[] } }>(
      `{ auditLog(first: 10, filter: { operation: "setHostMemoryReserve" }) { edges { node { outcome } } } }`,
    );
    expect(audit.auditLog.edges.map((e) => e.node.outcome)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
  });

  it("rejects a negative reserve and changes nothing", async () => {
    const r = await api.gqlOk<{
      setHostMemoryReserve: { hosts: unknown; errors: { __typename: string; field: string }[] };
    }>(
      `mutation($input: SetHostMemoryReserveInput!) {
        setHostMemoryReserve(input: $input) { hosts { name } errors { __typename ... on ValidationError { field } } } }`,
      { input: { hosts: [ids.hosts.HV2, ids.hosts.HV3], bytes: "-1" } },
    );
    expect(r.setHostMemoryReserve.errors).toEqual([{ __typename: "ValidationError", field: "input.bytes" }]);
    const hosts = await api.gqlOk<{
      hosts: { edges: { node: { name: string; memoryReserveBytes: string } }[] };
    }>("{ hosts { edges { node { name memoryReserveBytes } } } }");
    for (const { node } of hosts.hosts.edges) expect(node.memoryReserveBytes).toBe(String(2 * GiB));
  });

  it("two moves never together overfill a host, even requested at the same instant", async () => {
    // HV2 has 26 GiB free: each 16 GiB VM fits alone (preflight's memory rule passes both), not both.
    try {
      const both = await Promise.all(
        ["big-1", "big-2"].map((vm) =>
          moveVm({ vm: ids.vms[vm], destinationHost: ids.hosts.HV2, notBefore: inAnHour() }),
        ),
      );
      const queued = both.filter((r) => r.migration);
      const refused = both.filter((r) => r.errors);
      expect(queued).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.errors![0]!.__typename).toBe("PreflightFailedError");
      const failed = refused[0]!.errors![0]!.report!.checks.filter((c) => c.status === "FAIL");
      expect(failed.map((c) => c.name)).toEqual(["memory after queued moves"]);
      expect(failed[0]!.message).toMatch(/16\.0 GiB promised/);
      // The queued one is promised memory: placementOptions says so too.
      const other = both[0]!.errors ? "big-1" : "big-2";
      const hv2 = (await options(other)).find((o) => o.host.name === "HV2")!;
      expect(hv2.ok).toBe(false);
      expect(hv2.reasons.join(" ")).toMatch(/pending incoming moves: 1/);
    } finally {
      await cancelAll();
    }
  });
});

describe("moveVms", () => {
  it("spreads 20 auto-placed VMs (no host gets more than its fair share plus one), one result per move, a bad item refuses only itself", async () => {
    const vms = Array.from({ length: 20 }, (_, i) => `vm-${String(i + 1).padStart(2, "0")}`);
    const notBefore = inAnHour();
    try {
      const r = await moveVms({
        moves: [...vms.map((vm) => ({ vm: ids.vms[vm], notBefore })), { vm: "not-an-id" }],
      });
      expect(r.errors).toBeNull();
      const results = r.results!;
      expect(results.map((x) => x.index)).toEqual([...Array(21).keys()]);
      expect(results[20]!.migration).toBeNull();
      expect(results[20]!.errors).toEqual([
        expect.objectContaining({ __typename: "ValidationError", field: "input.moves.20.vm" }),
      ]);
      const queued = results.slice(0, 20);
      for (const q of queued) {
        expect(q.errors).toBeNull();
        expect(q.migration!.state).toBe("QUEUED");
        expect(q.migration!.scheduled).toBe(true);
        expect(q.migration!.placementReason).toMatch(/scored best/);
      }
      const perHost = new Map<string, number>();
      for (const q of queued) {
        const h = q.migration!.destinationHost.name;
        perHost.set(h, (perHost.get(h) ?? 0) + 1);
      }
      // HV2, HV3 and HV4 can take them (HV5 is AMD): fair share 20/3.
      expect([...perHost.keys()].sort()).toEqual(["HV2", "HV3", "HV4"]);
      for (const n of perHost.values()) expect(n).toBeLessThanOrEqual(20 / 3 + 1);
      console.log(`moveVms 20 auto-placed: ${JSON.stringify(Object.fromEntries(perHost))}`);
    } finally {
      await cancelAll();
    }
  });

  it("atomic: one refused move queues nothing; the others say why", async () => {
    try {
      const first = await moveVm({ vm: ids.vms["vm-21"], notBefore: inAnHour() });
      expect(first.errors).toBeNull();
      const r = await moveVms({
        atomic: true,
        moves: [{ vm: ids.vms["vm-22"] }, { vm: ids.vms["vm-21"] }, { vm: ids.vms["vm-23"] }],
      });
      expect(r.errors?.[0]?.__typename).toBe("ConflictError");
      expect(r.results!.map((x) => x.migration)).toEqual([null, null, null]);
      expect(r.results![1]!.errors![0]!.message).toMatch(/already has an active migration/);
      expect(r.results![0]!.errors![0]!.message).toMatch(/atomic/);
      const active = await api.gqlOk<{ migrations: { edges: { node: { vmName: string } }[] } }>(
        "{ migrations(first: 20, filter: { active: true }) { edges { node { vmName } } } }",
      );
      expect(active.migrations.edges.map((e) => e.node.vmName)).toEqual(["vm-21"]);
    } finally {
      await cancelAll();
    }
  });
});

describe("anti-affinity", () => {
  it("holds under auto-placement: group members never share a host, planned or existing", async () => {
    const set = await api.gqlOk<{
      setAntiAffinityGroup: {
        group: { id: string; name: string; vms: { name: string }[] } | null;
        errors: unknown;
      };
    }>(
      `mutation($input: SetAntiAffinityGroupInput!) {
        setAntiAffinityGroup(input: $input) { group { id name vms { name } } errors { __typename message } } }`,
      { input: { name: "databases", vms: [ids.vms["big-1"], ids.vms["big-2"], ids.vms.peer] } },
    );
    expect(set.setAntiAffinityGroup.errors).toBeNull();
    const group = set.setAntiAffinityGroup.group!;
    expect(group.vms.map((v) => v.name)).toEqual(["big-1", "big-2", "peer"]);
    try {
      // Without the group big-1 would go to HV4, the emptiest host; peer is there.
      const opts = await options("big-1");
      const hv4 = opts.find((o) => o.host.name === "HV4")!;
      expect(hv4.ok).toBe(false);
      expect(hv4.checks.find((c) => c.name === "anti-affinity")?.status).toBe("FAIL");
      const r = await moveVms({
        moves: [
          { vm: ids.vms["big-1"], notBefore: inAnHour() },
          { vm: ids.vms["big-2"], notBefore: inAnHour() },
        ],
      });
      const dests = r.results!.map((x) => x.migration?.destinationHost.name);
      expect(dests).not.toContain("HV4");
      expect(dests[0]).toBeDefined();
      expect(dests[1]).toBeDefined();
      expect(dests[0]).not.toBe(dests[1]);
      // A named destination that breaks the group is refused.
      await cancelAll();
      const named = await moveVm({ vm: ids.vms["big-1"], destinationHost: ids.hosts.HV4 });
      expect(named.migration).toBeNull();
      expect(named.errors![0]!.report!.checks.find((c) => c.name === "anti-affinity")?.status).toBe("FAIL");
    } finally {
      await cancelAll();
      const del = await api.gqlOk<{ deleteAntiAffinityGroup: { deletedId: string | null; errors: unknown } }>(
        `mutation($id: ID!) { deleteAntiAffinityGroup(id: $id) { deletedId errors { __typename } } }`,
        { id: group.id },
      );
      expect(del.deleteAntiAffinityGroup.deletedId).toBe(group.id);
    }
    const again = await api.gqlOk<{ deleteAntiAffinityGroup: { errors: { __typename: string }[] } }>(
      `mutation($id: ID!) { deleteAntiAffinityGroup(id: $id) { errors { __typename } } }`,
      { id: group.id },
    );
    expect(again.deleteAntiAffinityGroup.errors).toEqual([{ __typename: "NotFoundError" }]);
    expect((await options("big-1"))[0]!.host.name).toBe("HV4");
  });
});

describe("moveVm without destinationHost", () => {
  it("runs to the host placement chose, records why, and estimates progress from the VM's memory", async () => {
    const best = (await options("vm-24"))[0]!.host.name;
    const r = await moveVm({ vm: ids.vms["vm-24"] });
    expect(r.errors).toBeNull();
    expect(r.migration!.destinationHost.name).toBe(best);
    expect(r.migration!.placementReason).toMatch(new RegExp(`^${best} scored best`));
    const seen: { percent: number; bytes: string | null; left: number | null }[] = [];
    const done = await eventually(
      async () => {
        const m = (
          await api.gqlOk<{
            node: {
              state: string;
              percentComplete: number;
              estimatedSecondsRemaining: number | null;
              bytesTransferredEstimate: string | null;
              rateBytesPerSecondEstimate: string | null;
              durationSeconds: number | null;
              vm: { host: { name: string } };
            };
          }>(
            `query($id: ID!) { node(id: $id) { ... on Migration { state percentComplete estimatedSecondsRemaining
              bytesTransferredEstimate rateBytesPerSecondEstimate durationSeconds vm { host { name } } } } }`,
            { id: r.migration!.id },
          )
        ).node;
        if (m.state === "RUNNING") {
          seen.push({
            percent: m.percentComplete,
            bytes: m.bytesTransferredEstimate,
            left: m.estimatedSecondsRemaining,
          });
        }
        return m.state === "SUCCEEDED" ? m : null;
      },
      120_000,
      "vm-24 moved",
    );
    expect(done.vm.host.name).toBe(best);
    expect(done.bytesTransferredEstimate).toBe(String(GiB));
    expect(done.estimatedSecondsRemaining).toBe(0);
    expect(Number(done.rateBytesPerSecondEstimate)).toBeGreaterThan(0);
    for (const s of seen) expect(BigInt(s.bytes!)).toBe((BigInt(GiB) * BigInt(s.percent)) / 100n);
    console.log(
      `vm-24 -> ${best}: ${done.durationSeconds}s, rate estimate ${done.rateBytesPerSecondEstimate} B/s, running samples ${JSON.stringify(seen.slice(0, 5))}`,
    );
  });
});

describe("balancing", () => {
  const PLAN_GQL = /* GraphQL */ `
    query($input: BalancePlanInput) {
      balancePlan(input: $input) {
        spreadBefore spreadAfter
        moves { order vm { name host { name } } destination { name } kind estimatedSeconds startsAfterSeconds spreadAfter expectedEffect }
      }
    }`;
  interface Plan {
    spreadBefore: number;
    spreadAfter: number;
    moves: {
      order: number;
      vm: { name: string; host: { name: string } };
      destination: { name: string };
      spreadAfter: number;
      expectedEffect: string;
      estimatedSeconds: number;
    }[];
  }
  const plan = async (input: Record<string, unknown>) =>
    (await api.gqlOk<{ balancePlan: Plan }>(PLAN_GQL, { input })).balancePlan;
  const where = async () => {
    const hosts = await api.gqlOk<{
      hosts: { edges: { node: { name: string; vms: { edges: { node: { name: string } }[] } } }[] };
    }>("{ hosts { edges { node { name vms(first: 100) { edges { node { name } } } } } } }");
    return new Map(hosts.hosts.edges.flatMap((h) => h.node.vms.edges.map((v) => [v.node.name, h.node.name])));
  };

  it("lowers the spread of memory use move by move, honours anti-affinity, and applyBalancePlan runs it through the queue", async () => {
    const set = await api.gqlOk<{ setAntiAffinityGroup: { group: { id: string } } }>(
      `mutation($input: SetAntiAffinityGroupInput!) { setAntiAffinityGroup(input: $input) { group { id } } }`,
      { input: { name: "databases", vms: [ids.vms["big-1"], ids.vms["big-2"], ids.vms.peer] } },
    );
    try {
      const p = await plan({ maxMoves: 3 });
      expect(p.moves).toHaveLength(3);
      expect(p.spreadAfter).toBeLessThan(p.spreadBefore);
      let last = p.spreadBefore;
      for (const m of p.moves) {
        expect(m.spreadAfter).toBeLessThan(last);
        last = m.spreadAfter;
        expect(m.expectedEffect).toMatch(/^spread .* -> /);
        expect(m.estimatedSeconds).toBeGreaterThan(0);
        // HV5 is AMD; HV4 holds peer, which the big VMs may not join.
        expect(m.destination.name).not.toBe("HV5");
        if (m.vm.name.startsWith("big-")) expect(m.destination.name).not.toBe("HV4");
      }
      const bigDests = p.moves.filter((m) => m.vm.name.startsWith("big-")).map((m) => m.destination.name);
      expect(new Set(bigDests).size).toBe(bigDests.length);
      console.log(
        `balancePlan: spread ${p.spreadBefore.toFixed(4)} -> ${p.spreadAfter.toFixed(4)}: ${p.moves.map((m) => `${m.vm.name} ${m.vm.host.name}->${m.destination.name}`).join(", ")}`,
      );

      const applied = await api.gqlOk<{
        applyBalancePlan: {
          results: { migration: { id: string; placementReason: string } | null }[];
          errors: unknown;
        };
      }>(
        `mutation($input: BalancePlanInput) { applyBalancePlan(input: $input) {
          results { migration { id placementReason } } errors { __typename message } } }`,
        { input: { maxMoves: 3 } },
      );
      expect(applied.applyBalancePlan.errors).toBeNull();
      const migrations = applied.applyBalancePlan.results.map((r) => r.migration!);
      expect(migrations).toHaveLength(3);
      for (const m of migrations) expect(m.placementReason).toMatch(/^balancing: spread of memory use/);
      await eventually(
        async () => {
          const states = await Promise.all(
            migrations.map(
              async (m) =>
                (
                  await api.gqlOk<{ node: { state: string } }>(
                    `query($id: ID!) { node(id: $id) { ... on Migration { state } } }`,
                    { id: m.id },
                  )
                ).node.state,
            ),
          );
          if (states.some((s) => s === "FAILED" || s === "CANCELLED")) throw new Error(states.join());
          return states.every((s) => s === "SUCCEEDED");
        },
        240_000,
        "the balance moves succeed",
      );
      const at = await where();
      expect(new Set([at.get("big-1"), at.get("big-2"), at.get("peer")]).size).toBe(3);
      // The expected effect is real: once the agents report, the inventory's spread is the plan's.
      const after = await eventually(
        async () => {
          const q = await plan({ maxMoves: 1 });
          return Math.abs(q.spreadBefore - p.spreadAfter) < 0.005 ? q : null;
        },
        60_000,
        `the inventory shows the planned spread ${p.spreadAfter}`,
      );
      console.log(`spread after applyBalancePlan (inventory): ${after.spreadBefore.toFixed(4)}`);
    } finally {
      await cancelAll();
      await api.gqlOk(`mutation($id: ID!) { deleteAntiAffinityGroup(id: $id) { errors { message } } }`, {
        id: set.setAntiAffinityGroup.group.id,
      });
    }
  });

  it("refuses a bad maxMoves and an unknown host", async () => {
    const r = await api.gql(PLAN_GQL, { input: { maxMoves: 0 } });
    expect(r.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    const applied = await api.gqlOk<{
      applyBalancePlan: { results: unknown; errors: { __typename: string }[] };
    }>(
      `mutation($input: BalancePlanInput) { applyBalancePlan(input: $input) { results { index } errors { __typename } } }`,
      { input: { hosts: [ids.hosts.HV2, "SG9zdDowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwOTk="] } },
    );
    expect(applied.applyBalancePlan.errors).toEqual([{ __typename: "NotFoundError" }]);
  });
});
