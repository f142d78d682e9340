// Issue 15 item 2: one request id follows a mutation from the HTTP request through the agent command
// and back, in the API's and the agent's logs. The API and two simulated agents run as real processes;
// a moveVm with an X-Request-Id (or without one: the id the API returns in its X-Request-Id header)
// is traced by grepping both logs: the mutation, the START_MOVE the scheduler sends later (also for a
// move queued with notBefore, started by a scheduler pass long after the request ended), the agent
// receiving, running and answering it and ending the Hyper-V job, the API receiving the answer and
// ending the migration, and the REFRESH_INVENTORY commands the end causes on both hosts. A cancel
// carries its own request's id to the agent.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  type ApiProcess,
  enrollmentToken,
  type Proc,
  startApiProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import { GiB } from "../helpers/sim-world.ts";
import { CANCEL_GQL, type FleetIds, fleetIds, MOVE_GQL, pairWorld } from "../migrations/world.ts";

let dir: string;
let database: TestDatabaseEnv;
let api: ApiProcess;
let ids: FleetIds;
const agents: Record<string, Proc> = {};

interface Line {
  msg: string;
  requestId?: string | null;
  [key: string]: unknown;
}

/** The JSON log lines of a process that carry `requestId`. */
function linesOf(proc: Proc, requestId: string): Line[] {
  return proc
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{") && l.includes(requestId))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Line];
      } catch {
        return [];
      }
    })
    .filter((l) => l.requestId === requestId);
}

const has = (lines: Line[], want: Record<string, unknown>) =>
  lines.some((l) => Object.entries(want).every(([k, v]) => l[k] === v));

/** POST /graphql with optional headers; the body and the response's X-Request-Id. */
async function post<T>(
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data: T; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return { data: body.data, requestId: res.headers.get("x-request-id") };
}

type MoveData = { moveVm: { migration: { id: string } | null; errors: unknown[] } };

async function move(vm: string, headers: Record<string, string> = {}, notBefore?: string) {
  const { data, requestId } = await post<MoveData>(
    MOVE_GQL,
    { input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2, ...(notBefore ? { notBefore } : {}) } },
    headers,
  );
  if (!data.moveVm.migration) throw new Error(`moveVm ${vm}: ${JSON.stringify(data.moveVm.errors)}`);
  return { migrationId: data.moveVm.migration.id, requestId: requestId! };
}

const stateOf = async (id: string) =>
  (
    await gqlOk<{ node: { state: string; startedAt: string | null } }>(
      api.url,
      "query($id: ID!) { node(id: $id) { ... on Migration { state startedAt } } }",
      { id },
    )
  ).node;

/** Waits until every step of a move's trace is in the logs, then returns the lines. */
async function traceOfMove(requestId: string) {
  return eventually(
    async () => {
      const apiLines = linesOf(api.proc, requestId);
      const source = linesOf(agents.HV1!, requestId);
      const destination = linesOf(agents.HV2!, requestId);
      const complete =
        has(apiLines, { msg: "migration ended", state: "SUCCEEDED" }) &&
        has(source, { msg: "move job ended", state: "COMPLETED" }) &&
        has(source, { msg: "command answered", type: "REFRESH_INVENTORY" }) &&
        has(destination, { msg: "command answered", type: "REFRESH_INVENTORY" });
      return complete ? { apiLines, source, destination } : null;
    },
    180_000,
    `the whole trace of request ${requestId} in the logs`,
  );
}

function expectMoveTrace(requestId: string, t: { apiLines: Line[]; source: Line[]; destination: Line[] }) {
  // API: the mutation, the command sent to the source agent, its answer, the migration's end.
  expect(t.apiLines.find((l) => l.msg === "mutation")).toMatchObject({ operation: "moveVm" });
  expect(has(t.apiLines, { msg: "agent command sent", type: "START_MOVE" })).toBe(true);
  expect(has(t.apiLines, { msg: "agent command answered", type: "START_MOVE", status: "SUCCEEDED" })).toBe(
    true,
  );
  expect(has(t.apiLines, { msg: "agent command answered", type: "REFRESH_INVENTORY" })).toBe(true);
  // Source agent: received, answered, the job's end (reported back to the API).
  expect(has(t.source, { msg: "command received", type: "START_MOVE" })).toBe(true);
  expect(has(t.source, { msg: "command answered", type: "START_MOVE", succeeded: true })).toBe(true);
  // Destination agent: the inventory refresh the move's end asked for.
  expect(has(t.destination, { msg: "command received", type: "REFRESH_INVENTORY" })).toBe(true);
  // In order on each side.
  const order = (lines: Line[], msgs: string[]) =>
    msgs.map((m) => lines.findIndex((l) => l.msg === m && (l.type ?? "START_MOVE") === "START_MOVE"));
  const apiOrder = order(t.apiLines, [
    "mutation",
    "agent command sent",
    "agent command answered",
    "migration ended",
  ]);
  expect(apiOrder.every((i) => i >= 0)).toBe(true);
  expect([...apiOrder].sort((a, b) => a - b)).toEqual(apiOrder);
  const agentOrder = order(t.source, ["command received", "command answered", "move job ended"]);
  expect(agentOrder.every((i) => i >= 0)).toBe(true);
  expect([...agentOrder].sort((a, b) => a - b)).toEqual(agentOrder);
  // Every API line with this id is one of the trace's steps.
  for (const l of t.apiLines)
    expect(
      ["mutation", "agent command sent", "agent command answered", "migration ended"],
      requestId,
    ).toContain(l.msg);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-request-id-"));
  // Time x8: the 1 GiB moves traced take ~1 s. vm-3, the one cancelled, has 8 GiB: its move runs ~9 s,
  // long enough that the cancel reaches it RUNNING (at x2 every move took ~5 s).
  const world = pairWorld(4, 2, 8);
  const vm3 = world.hosts[0]!.vms.find((v) => v.name === "vm-3")!;
  vm3.memoryAssignedBytes = vm3.memoryStartupBytes = 8n * GiB;
  SimWorld.openFile(path.join(dir, "world.json"), world);
  database = await freshDatabase();
  api = await startApiProcess({ ...database.env, FERRY_LOG_LEVEL: "info" });
  await waitForReady(api.url, api.proc, 240_000);
  for (const host of ["HV1", "HV2"]) {
    agents[host] = startSimulatedAgent(api.url, dir, host, await enrollmentToken(api.url, host, ADMIN_TOKEN));
  }
  await eventually(
    async () => {
      ids = await fleetIds((q) => gqlOk(api.url, q));
      if (!ids.vms["vm-4"] || !ids.hosts.HV2) return null;
      // Both agents connected and both inventories in (a move's preflight needs the destination's).
      const hosts = await gqlOk<{
        hosts: { edges: { node: { agent: { connected: boolean; inventoryReportedAt: string | null } } }[] };
      }>(api.url, "{ hosts(first: 10) { edges { node { agent { connected inventoryReportedAt } } } } }");
      return hosts.hosts.edges.length === 2 &&
        hosts.hosts.edges.every((e) => e.node.agent.connected && e.node.agent.inventoryReportedAt)
        ? ids
        : null;
    },
    180_000,
    "both agents connected and both inventories reported",
  );
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(agents).map((a) => a.stop()));
  await api?.proc.stop().catch(() => {});
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("one request id from the HTTP request through the agent and back", () => {
  it("the caller's X-Request-Id: the API's and both agents' logs show every step of the move", async () => {
    const requestId = `obs-move-${Date.now()}`;
    const { migrationId, requestId: answered } = await move("vm-1", { "X-Request-Id": requestId });
    expect(answered).toBe(requestId);
    const trace = await traceOfMove(requestId);
    expectMoveTrace(requestId, trace);
    // The log names the migration's row id (the global id is base64 of "Migration:<row id>").
    const rowId = Buffer.from(migrationId, "base64").toString("utf8").split(":")[1];
    expect(has(trace.apiLines, { msg: "migration ended", migrationId: rowId })).toBe(true);
    expect((await stateOf(migrationId)).state).toBe("SUCCEEDED");
  });

  it("no header: the API's generated id, returned in X-Request-Id, follows a move the scheduler starts later (notBefore)", async () => {
    const notBefore = new Date(Date.now() + 4_000).toISOString();
    const { migrationId, requestId } = await move("vm-2", {}, notBefore);
    expect(requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const trace = await traceOfMove(requestId);
    expectMoveTrace(requestId, trace);
    // Started by a scheduler pass after the request had long ended (pino's time: epoch ms).
    const sent = trace.apiLines.find((l) => l.msg === "agent command sent" && l.type === "START_MOVE")!;
    expect(Number(sent.time)).toBeGreaterThanOrEqual(Date.parse(notBefore));
    expect(Date.parse((await stateOf(migrationId)).startedAt!)).toBeGreaterThanOrEqual(Date.parse(notBefore));
  });

  it("a cancel sends its own request's id with CANCEL_MOVE; an invalid X-Request-Id is replaced", async () => {
    const moved = await move("vm-3", { "X-Request-Id": `obs-cancelled-move-${Date.now()}` });
    await eventually(async () => (await stateOf(moved.migrationId)).state === "RUNNING", 120_000, "RUNNING");
    const bad = await post<unknown>(
      CANCEL_GQL,
      { id: moved.migrationId },
      { "X-Request-Id": "has spaces\tand tabs" },
    );
    expect(bad.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const cancelId = bad.requestId!;
    await eventually(
      async () => {
        const source = linesOf(agents.HV1!, cancelId);
        return has(source, { msg: "command answered", type: "CANCEL_MOVE" }) &&
          has(linesOf(api.proc, cancelId), { msg: "agent command answered", type: "CANCEL_MOVE" })
          ? source
          : null;
      },
      120_000,
      "CANCEL_MOVE with the cancel's request id in both logs",
    );
    // The move's own commands keep the move's id: the cancel id is on no START_MOVE line.
    expect(has(linesOf(agents.HV1!, cancelId), { type: "START_MOVE" })).toBe(false);
    expect(has(linesOf(agents.HV1!, moved.requestId), { msg: "command received", type: "START_MOVE" })).toBe(
      true,
    );
  });
});
