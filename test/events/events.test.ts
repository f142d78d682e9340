// Issue 5 "done when": a failed migration's Hyper-V events appear in hostEvents (query with
// filters, subscription) and are linked to the migration; the agent's event pump neither loses nor
// duplicates records across an agent restart. Through GraphQL, simulated agents.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { appendEvent, SimWorld } from "@ferry/agent/simulator";
import { createAgent } from "@ferry/agent/testing";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gql, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { testHost } from "../helpers/sim-world.ts";
import { collect, wsClient } from "../helpers/ws.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: Record<string, string>;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { hosts: 2, timeScale: 200, vmsPerHost: 3 });
  const data = await api.gqlOk<{ hosts: { edges: { node: { id: string; name: string } }[] } }>(
    "{ hosts { edges { node { id name } } } }",
  );
  ids = Object.fromEntries(data.hosts.edges.map((e) => [e.node.name, e.node.id]));
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const EVENTS = `query($filter: HostEventFilter, $first: Int, $after: String) {
  hostEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id recordId eventId level timeCreated message vmName migrationId host { name } } } } }`;

type Event = {
  id: string;
  recordId: string;
  eventId: number;
  level: string;
  timeCreated: string;
  message: string;
  vmName: string | null;
  migrationId: string | null;
  host: { name: string };
};
type EventsResult = {
  hostEvents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string };
    edges: { node: Event }[];
  };
};

async function events(filter: Record<string, unknown>, first = 50) {
  const data = await api.gqlOk<EventsResult>(EVENTS, { filter, first });
  return data.hostEvents;
}

describe("a failed migration's Hyper-V events", () => {
  it("appear in hostEvents (query and subscription), linked to the migration", async () => {
    const [source, destination] = fleet.hostNames as [string, string];
    const prisma = api.server.app.db.prisma;
    const vm = await prisma.virtualMachine.findFirstOrThrow({
      where: { host: { name: source }, state: "RUNNING" },
    });
    const hostRows = await prisma.host.findMany({ where: { name: { in: [source, destination] } } });
    const idOf = (name: string) => hostRows.find((h) => h.name === name)!.id;

    // The migration as the migrations module records it (the move itself is produced directly
    // through the simulator below, so this test does not depend on the scheduler).
    const migration = await prisma.migration.create({
      data: {
        kind: "LIVE",
        state: "FAILED",
        vmRowId: vm.id,
        vmGuid: vm.vmId,
        vmName: vm.name,
        sourceHostId: idOf(source),
        destinationHostId: idOf(destination),
        requestedBy: "test",
        requestedAt: new Date(Date.now() - 1000),
        startedAt: new Date(Date.now() - 1000),
        finishedAt: new Date(),
      },
    });

    const client = wsClient(api.url, ADMIN_TOKEN);
    const feed = collect<{ hostEvents: Event }>(
      client,
      `subscription($host: ID) { hostEvents(host: $host) { eventId level vmName message migrationId host { name } } }`,
      { host: ids[source] },
    );
    await new Promise((r) => setTimeout(r, 300));

    // The destination has live migration disabled: Hyper-V refuses at start and logs 21502.
    await fleet.world.backend(destination).disableMigration();
    await expect(
      fleet.world.backend(source).startMoveVm({
        vmId: vm.vmId,
        destinationHost: destination,
        includeStorage: false,
        destinationStoragePath: null,
      }),
    ).rejects.toMatchObject({ code: "MIGRATION_DISABLED" });

    const live = await feed.next((e) => e.hostEvents.eventId === 21502, 20_000);
    expect(live.hostEvents).toMatchObject({
      level: "ERROR",
      vmName: vm.name,
      host: { name: source },
      migrationId: encodeGlobalID("Migration", migration.id),
    });
    expect(live.hostEvents.message).toContain("not enabled");
    feed.stop();
    await client.dispose();

    const failed = await events({ host: ids[source], eventId: 21502 });
    expect(failed.totalCount).toBe(1);
    expect(failed.edges[0]!.node).toMatchObject({ vmName: vm.name, level: "ERROR", host: { name: source } });

    const onMigration = await events({ migration: encodeGlobalID("Migration", migration.id) });
    expect(onMigration.totalCount).toBeGreaterThanOrEqual(1);
    expect(onMigration.edges.every((e) => e.node.vmName === vm.name)).toBe(true);

    // The service the migrations module uses for Migration.events.
    const { eventsForMigration } = await import("@ferry/api/testing");
    const linked = await eventsForMigration(api.server.app, migration.id);
    expect(linked.map((e) => e.eventId)).toContain(21502);
  });

  it("filters by level, time range and event id, and pages", async () => {
    const [source] = fleet.hostNames as [string];
    const now = new Date();
    for (let i = 0; i < 3; i++) {
      fleet.world.run((m) => {
        appendEvent(m.host(source)!, now.getTime() + i, 20417, "Warning", `long blackout ${i}`, "bo-vm-1");
        m.dirty = true;
      });
    }
    await eventually(
      async () => (await events({ eventId: 20417 })).totalCount === 3 || null,
      20_000,
      "3 warnings",
    );
    expect((await events({ level: "WARNING", host: ids[source] })).totalCount).toBe(3);
    expect((await events({ levels: ["ERROR", "CRITICAL"], eventIds: [20417] })).totalCount).toBe(0);
    expect(
      (await events({ eventId: 20417, since: new Date(now.getTime() + 1).toISOString() })).totalCount,
    ).toBe(2);
    expect(
      (await events({ eventId: 20417, until: new Date(now.getTime() + 1).toISOString() })).totalCount,
    ).toBe(1);
    expect((await events({ eventId: 20417, vmName: "bo-vm-1" })).totalCount).toBe(3);

    const page1 = await events({ eventId: 20417 }, 2);
    expect(page1.edges.map((e) => e.node.message)).toEqual(["long blackout 2", "long blackout 1"]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await api.gqlOk<EventsResult>(EVENTS, {
      filter: { eventId: 20417 },
      first: 2,
      after: page1.pageInfo.endCursor,
    });
    expect(page2.hostEvents.edges.map((e) => e.node.message)).toEqual(["long blackout 0"]);

    // Events that came before their migration was recorded are linked when asked.
    const prisma = api.server.app.db.prisma;
    const sourceRow = await prisma.host.findFirstOrThrow({ where: { name: source } });
    const late = await prisma.migration.create({
      data: {
        kind: "STORAGE",
        state: "SUCCEEDED",
        vmGuid: "00000000-0000-4000-8000-00000000beef",
        vmName: "bo-vm-1",
        sourceHostId: sourceRow.id,
        requestedBy: "test",
        requestedAt: new Date(now.getTime() - 1000),
        finishedAt: new Date(now.getTime() + 1000),
      },
    });
    const { linkEventsToMigration } = await import("@ferry/api/testing");
    expect(await linkEventsToMigration(api.server.app, late.id)).toBe(3);
    expect((await events({ migration: encodeGlobalID("Migration", late.id) })).totalCount).toBe(3);

    const bad = await api.gql(EVENTS, { filter: { host: "not-an-id" } });
    expect(bad.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("the agent's event pump", () => {
  it("loses and duplicates nothing across an agent restart; resent records are ignored", async () => {
    const name = "HV-EV1";
    const world = SimWorld.create({
      seed: 3,
      timeScale: 200,
      hosts: [testHost(name, 41)],
      sharedVolumes: [],
      delegations: { [name]: [] },
    });
    const log = (n: number, from: number) =>
      world.run((m) => {
        for (let i = 0; i < n; i++)
          appendEvent(m.host(name)!, Date.now(), 32000 + from + i, "Information", `record ${from + i}`, null);
        m.dirty = true;
      });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-events-"));
    const enrollment = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
      `mutation { createAgentEnrollment(input: {hostName: "${name}"}) { token } }`,
    );
    const start = async (token?: string) => {
      const agent = await createAgent({
        apiUrl: api.url,
        stateDir,
        backend: world.backend(name),
        enrollmentToken: token,
        eventIntervalMs: 100,
        log: () => {},
      });
      await agent.start();
      return agent;
    };
    const stored = async () =>
      api.server.app.db.prisma.hostEvent.findMany({
        where: { host: { name } },
        orderBy: { recordId: "asc" },
        select: { recordId: true, eventId: true },
      });

    try {
      log(250, 0); // more than one batch
      let agent = await start(enrollment.createAgentEnrollment.token);
      await eventually(async () => (await stored()).length === 250 || null, 20_000, "250 records");
      await agent.stop();

      log(5, 250); // logged while the agent is down
      agent = await start();
      log(5, 255); // and after it is back
      await eventually(async () => (await stored()).length === 260 || null, 20_000, "260 records");
      await new Promise((r) => setTimeout(r, 400));
      const rows = await stored();
      expect(rows.map((r) => Number(r.recordId))).toEqual(Array.from({ length: 260 }, (_, i) => i + 1));
      expect(rows.map((r) => r.eventId)).toEqual(Array.from({ length: 260 }, (_, i) => 32000 + i));
      await agent.stop();

      // A batch resent with the agent's own credential stores nothing new and returns the bookmark.
      const { secret } = JSON.parse(fs.readFileSync(path.join(stateDir, "credential.json"), "utf8")) as {
        secret: string;
      };
      const resend = await gql<{ agentReportEvents: { stored: number; bookmark: string; errors: unknown } }>(
        api.url,
        `mutation($input: AgentReportEventsInput!) { agentReportEvents(input: $input) { stored bookmark errors { message } } }`,
        {
          input: {
            events: [
              {
                recordId: 3,
                eventId: 1,
                level: "Error",
                timeCreated: new Date().toISOString(),
                message: "again",
                vmName: null,
              },
            ],
          },
        },
        secret,
      );
      expect(resend.data.agentReportEvents).toEqual({ stored: 0, bookmark: "260", errors: null });
      // Bad records are refused with the offending field.
      const bad = await gql<{ agentReportEvents: { errors: { __typename: string; field: string }[] } }>(
        api.url,
        `mutation($input: AgentReportEventsInput!) { agentReportEvents(input: $input) { errors { __typename ... on ValidationError { field } } } }`,
        {
          input: {
            events: [{ recordId: 999, eventId: 1, level: "Loud", timeCreated: "yesterday", message: "x" }],
          },
        },
        secret,
      );
      expect(bad.data.agentReportEvents.errors[0]).toMatchObject({
        __typename: "ValidationError",
        field: "input.events.0.level",
      });
      // Only agents report events.
      const denied = await api.gql(`mutation { agentReportEvents(input: {events: []}) { stored } }`);
      expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
