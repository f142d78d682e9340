// Issue 16 item 1: WebSocket subscribers of the same shape (document, variables, role) share one
// execution per event (transport/shared-subscriptions.ts). Real graphql-ws clients, one socket each; the
// events are real migrationChanged hints after a committed change, as the migrations module publishes them.
// What is counted: ferry_subscription_results_total (results computed) against what the clients received,
// and the SQL statements that read the migration.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { statementsDuring } from "../helpers/sql.ts";
import { type Collected, collect, wsClient } from "../helpers/ws.ts";
import { createToken, enrolledAgent } from "../security/principals.ts";

const PROGRESS = "subscription($id: ID!) { migrationProgress(id: $id) { id state percentComplete } }";
type Progress = { migrationProgress: { id: string; state: string; percentComplete: number } };

let api: TestApi;
let viewerToken: string;
let hostId: string;
const clients: Client[] = [];

beforeAll(async () => {
  api = await startTestApi();
  viewerToken = (await createToken(api, "shared-viewer", "VIEWER")).secret;
  const host = await api.server.app.db.prisma.host.create({ data: { name: "HV-SHARED", delegations: [] } });
  hostId = host.id;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await api?.stop();
});

/** A RUNNING migration row; its global id and row id. */
async function runningMigration(name: string) {
  const row = await api.server.app.db.prisma.migration.create({
    data: {
      kind: "LIVE",
      state: "RUNNING",
      vmGuid: `guid-${name}`,
      vmName: name,
      sourceHostId: hostId,
      requestedBy: "test",
      startedAt: new Date(),
    },
  });
  return { id: encodeGlobalID("Migration", row.id), rowId: row.id };
}

/** A committed progress change and its hint, as migrations/transitions publish it. */
async function progress(rowId: string, percentComplete: number, state: "RUNNING" | "SUCCEEDED" = "RUNNING") {
  await api.server.app.db.prisma.migration.update({ where: { id: rowId }, data: { percentComplete, state } });
  api.server.app.pubsub.publish("migrationChanged", rowId, { at: Date.now() });
}

function subscriber(id: string, token = ADMIN_TOKEN): Collected<Progress> & { client: Client } {
  const client = wsClient(api.url, token);
  clients.push(client);
  return Object.assign(collect<Progress>(client, PROGRESS, { id }), { client });
}

const percentsOf = (s: Collected<Progress>) => s.events.map((e) => e.migrationProgress.percentComplete);
const at = (s: Collected<Progress>, percent: number) =>
  s.next((e) => e.migrationProgress.percentComplete === percent);

async function metric(name: string): Promise<number> {
  const text = await (
    await fetch(`${api.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{field="migrationProgress"}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}
const results = () => metric("ferry_subscription_results_total");
const deliveries = () => metric("ferry_subscription_deliveries_total");

/** Prisma's reads of one migration by id (progressStream's and the field's), not the scheduler's scans. */
const migrationReads = (sql: string[]) =>
  sql.filter((q) => /FROM "public"\."Migration"/.test(q) && /"Migration"\."id" = \$1/.test(q));

describe("subscribers of the same shape share one execution", () => {
  it("5 subscribers get identical events from one execution per event; reads do not grow with subscribers", async () => {
    const m = await runningMigration("vm-five");
    const resultsBefore = await results();
    const deliveriesBefore = await deliveries();
    const subs: ReturnType<typeof subscriber>[] = [];
    const sql = await statementsDuring(async () => {
      for (let i = 0; i < 5; i++) subs.push(subscriber(m.id));
      await Promise.all(subs.map((s) => at(s, 0)));
    });
    // Each subscriber executing alone read the migration twice (state, then the selection): 10 reads.
    const reads = migrationReads(sql);
    expect(reads.length, reads.join("\n")).toBeGreaterThanOrEqual(1);
    expect(reads.length, reads.join("\n")).toBeLessThanOrEqual(2);
    for (const percent of [10, 20]) {
      await progress(m.rowId, percent);
      await Promise.all(subs.map((s) => at(s, percent)));
    }
    // One event: the stream's read answers the selection of the migration's own columns.
    const eventSql = await statementsDuring(async () => {
      await progress(m.rowId, 30);
      await Promise.all(subs.map((s) => at(s, 30)));
    });
    expect(migrationReads(eventSql).filter((q) => q.startsWith("SELECT"))).toHaveLength(1);
    const first = JSON.stringify(subs[0]!.events);
    for (const s of subs) {
      expect(JSON.stringify(s.events)).toBe(first);
      expect(s.errors).toEqual([]);
    }
    expect(percentsOf(subs[0]!)).toEqual([0, 10, 20, 30]);
    // One result per event (the first state and three changes), written five times each.
    expect((await results()) - resultsBefore).toBe(4);
    expect((await deliveries()) - deliveriesBefore).toBe(20);

    // The terminal state completes every subscriber after it was delivered.
    await progress(m.rowId, 100, "SUCCEEDED");
    await eventually(async () => subs.every((s) => s.completed), 60_000, "all 5 complete");
    for (const s of subs) expect(s.events.at(-1)!.migrationProgress.state).toBe("SUCCEEDED");
  });

  it("other variables and another role get their own execution and their own data; an agent is refused alone", async () => {
    const m1 = await runningMigration("vm-one");
    const m2 = await runningMigration("vm-two");
    // The agent first: its refusal must not become anyone else's answer.
    const agentCredential = (await enrolledAgent(api, "HV-SHARED-AGENT")).credential;
    const agent = subscriber(m1.id, agentCredential);
    await eventually(async () => agent.errors.length > 0 || agent.completed, 60_000, "agent refused");
    const admins = [subscriber(m1.id), subscriber(m1.id)];
    const viewers = [subscriber(m1.id, viewerToken), subscriber(m1.id, viewerToken)];
    const other = subscriber(m2.id);
    // A selection with a relation is its own shape and still reads it.
    const hostClient = wsClient(api.url, ADMIN_TOKEN);
    clients.push(hostClient);
    const withHost = collect<{
      migrationProgress: { percentComplete: number; sourceHost: { name: string } };
    }>(
      hostClient,
      "subscription($id: ID!) { migrationProgress(id: $id) { percentComplete sourceHost { name } } }",
      { id: m1.id },
    );
    await Promise.all([...admins, ...viewers, other].map((s) => at(s, 0)));
    await withHost.next((e) => e.migrationProgress.percentComplete === 0);

    const before = await results();
    await progress(m1.rowId, 42);
    await Promise.all([...admins, ...viewers].map((s) => at(s, 42)));
    await withHost.next((e) => e.migrationProgress.percentComplete === 42);
    // Three shapes woke (admin, viewer, the one with the host): three results, not five.
    expect((await results()) - before).toBe(3);
    await progress(m2.rowId, 7);
    await at(other, 7);
    expect((await results()) - before).toBe(4);
    expect(withHost.events.at(-1)).toEqual({
      migrationProgress: { percentComplete: 42, sourceHost: { name: "HV-SHARED" } },
    });
    withHost.stop();

    for (const s of [...admins, ...viewers]) {
      expect(s.events.map((e) => e.migrationProgress)).toEqual([
        { id: m1.id, state: "RUNNING", percentComplete: 0 },
        { id: m1.id, state: "RUNNING", percentComplete: 42 },
      ]);
      expect(s.errors).toEqual([]);
    }
    expect(other.events.map((e) => e.migrationProgress)).toEqual([
      { id: m2.id, state: "RUNNING", percentComplete: 0 },
      { id: m2.id, state: "RUNNING", percentComplete: 7 },
    ]);
    expect(agent.events).toEqual([]);
    expect(JSON.stringify(agent.errors)).toContain("FORBIDDEN");
    for (const s of [...admins, ...viewers, other]) s.stop();
  });

  it("one subscriber unsubscribing or closing its socket keeps the others flowing; a late one starts at the current state", async () => {
    const m = await runningMigration("vm-leave");
    const [a, b, c] = [subscriber(m.id), subscriber(m.id), subscriber(m.id)];
    await Promise.all([a, b, c].map((s) => at(s, 0)));
    await progress(m.rowId, 1);
    await Promise.all([a, b, c].map((s) => at(s, 1)));

    a.stop(); // graphql-ws `complete` from the client
    await b.client.dispose(); // the socket closes
    await progress(m.rowId, 2);
    await at(c, 2);
    await progress(m.rowId, 3);
    await at(c, 3);

    // Joins now: the current state first (as its own execution would read), then only later events.
    const late = subscriber(m.id);
    await at(late, 3);
    await progress(m.rowId, 4);
    await Promise.all([at(c, 4), at(late, 4)]);
    expect(percentsOf(late)).toEqual([3, 4]);
    expect(percentsOf(c)).toEqual([0, 1, 2, 3, 4]);
    expect(percentsOf(a)).toEqual([0, 1]);
    expect(percentsOf(b)).toEqual([0, 1]);
    expect([a, c, late].flatMap((s) => s.errors)).toEqual([]);

    // Everyone left: the next subscriber runs a new execution and is answered.
    c.stop();
    late.stop();
    const fresh = subscriber(m.id);
    await at(fresh, 4);
    fresh.stop();
  });
});
