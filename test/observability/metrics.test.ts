// Issue 15: GET /metrics exposes every ferry_* metric with values that match what happened (two
// succeeded moves -> ferry_migrations_total says 2), the yoga GraphQL metrics, Bearer auth on the API
// port, FERRY_METRICS_LISTEN without a token, and no VM names or ids as labels.

import { failNextAuditWrites } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { pairWorld } from "../migrations/world.ts";

let api: TestApi;
let fleet: TestFleet;

async function scrape(token: string | null = ADMIN_TOKEN): Promise<{ status: number; text: string }> {
  const res = await fetch(`${api.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, text: await res.text() };
}

/** The value of the sample `name` whose labels include `labels` (label order does not matter). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  throw new Error(`no sample ${name} ${JSON.stringify(labels)} in\n${text.slice(0, 3000)}`);
}

const MOVABLE = /* GraphQL */ `{ hosts(first: 10) { edges { node { id name vms(first: 50) { edges { node { id name state } } } } } } }`;

beforeAll(async () => {
  api = await startTestApi({ FERRY_METRICS_LISTEN: "127.0.0.1:0" });
  // HV1 -> HV2 with shared storage (the migrations tests' world): every move passes preflight.
  fleet = await startTestFleet(api, { definition: pairWorld(4, 2, 50) });
}, 300_000);

afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

describe("/metrics", () => {
  it("needs a valid API token on the API port", async () => {
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape("not-a-token")).status).toBe(401);
    const viewer = await api.gqlOk<{ createApiToken: { secret: string } }>(
      `mutation { createApiToken(input: {name: "prometheus", role: VIEWER}) { secret } }`,
    );
    const ok = await scrape(viewer.createApiToken.secret);
    expect(ok.status).toBe(200);
    expect(ok.text).toContain("# TYPE ferry_migrations_total counter");
  });

  it("two succeeded moves: the counter says 2, durations and queue waits observed twice, nothing queued or running", async () => {
    const data = await api.gqlOk<{
      hosts: {
        edges: {
          node: {
            id: string;
            name: string;
            vms: { edges: { node: { id: string; name: string; state: string } }[] };
          };
        }[];
      };
    }>(MOVABLE);
    const source = data.hosts.edges.map((e) => e.node).find((h) => h.name === "HV1");
    const destination = data.hosts.edges.map((e) => e.node).find((h) => h.name === "HV2");
    const vms = source!.vms.edges.map((e) => e.node).filter((v) => v.state === "RUNNING");
    const moved: string[] = [];
    for (const vm of vms) {
      if (moved.length === 2) break;
      const r = await api.gql<{ moveVm: { migration: { id: string } | null } }>(
        `mutation($input: MoveVmInput!) { moveVm(input: $input) { migration { id } errors { __typename message } } }`,
        { input: { vm: vm.id, destinationHost: destination!.id } },
      );
      if (r.data.moveVm?.migration) moved.push(r.data.moveVm.migration.id);
      else throw new Error(`moveVm refused: ${JSON.stringify(r)}`);
    }
    expect(moved).toHaveLength(2);
    await eventually(
      async () => {
        const states = await Promise.all(
          moved.map(
            async (id) =>
              (
                await api.gqlOk<{ node: { state: string } }>(
                  `query($id: ID!) { node(id: $id) { ... on Migration { state } } }`,
                  { id },
                )
              ).node.state,
          ),
        );
        return states.every((s) => s === "SUCCEEDED");
      },
      120_000,
      "both moves succeeded",
    );
    const { text } = await eventually(
      async () => {
        const s = await scrape();
        return value(s.text, "ferry_migrations_total", { kind: "LIVE", state: "SUCCEEDED" }) === 2 ? s : null;
      },
      30_000,
      "the counter says 2",
    );
    expect(value(text, "ferry_migrations_total", { kind: "LIVE", state: "FAILED" })).toBe(0);
    expect(value(text, "ferry_migration_duration_seconds_count", { kind: "LIVE", state: "SUCCEEDED" })).toBe(
      2,
    );
    expect(value(text, "ferry_migration_queue_wait_seconds_count", { kind: "LIVE" })).toBe(2);
    expect(value(text, "ferry_migrations_queued")).toBe(0);
    expect(value(text, "ferry_migrations_running")).toBe(0);
    expect(value(text, "ferry_agents_connected")).toBe(2);
    expect(
      value(text, "ferry_agent_command_round_trip_seconds_count", {
        type: "START_MOVE",
        status: "SUCCEEDED",
      }),
    ).toBe(2);
    expect(value(text, "ferry_inventory_reports_total", { outcome: "ok" })).toBeGreaterThanOrEqual(2);
    expect(value(text, "ferry_inventory_ingest_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(value(text, "ferry_maintenance_drains_in_progress")).toBe(0);
    expect(text).toMatch(/^graphql_envelop_phase_execute_count\{/m);
    expect(text).toMatch(/^graphql_yoga_http_duration_count\{/m);
    // Low cardinality: no VM names, no ids in any label.
    for (const vm of vms) {
      expect(text).not.toContain(vm.name);
      expect(text).not.toContain(vm.id);
    }
    for (const id of moved) expect(text).not.toContain(id);
  });

  it("counts audit write failures", async () => {
    const before = value((await scrape()).text, "ferry_audit_write_failures_total");
    failNextAuditWrites(1);
    // The next audit write fails once (this mutation's entry, or an agent's command outcome written meanwhile).
    await api.gql(`mutation { createApiToken(input: {name: "maybe-refused", role: VIEWER}) { secret } }`);
    await eventually(
      async () => value((await scrape()).text, "ferry_audit_write_failures_total") === before + 1,
      30_000,
      "the failure counted",
    );
  });

  it("FERRY_METRICS_LISTEN serves /metrics on its own address without a token", async () => {
    const port = api.server.metricsPort!;
    expect(port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("ferry_migrations_total");
    expect((await fetch(`http://127.0.0.1:${port}/graphql`)).status).toBe(404);
  });
});
