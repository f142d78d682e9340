// Issue 15 webhooks, end to end: the API and two simulated agents as real processes, a real HTTP
// receiver. Every event of a move arrives in order, signed; a receiver that was down gets what it
// missed, also when the API restarted meanwhile; agent events; private targets refused without
// FERRY_WEBHOOK_ALLOW_PRIVATE.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { MIGRATION_VIEW_FIELDS } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gql, gqlOk } from "../helpers/api.ts";
import { freshDatabase, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  API_MAIN,
  enrollmentToken,
  freePort,
  type Proc,
  startProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import { type FleetIds, fleetIds, MOVE_GQL, pairWorld } from "../migrations/world.ts";
import { type Received, type Receiver, startReceiver } from "./receiver.ts";

let dir: string;
let database: TestDatabaseEnv;
let url: string;
let port: number;
let api: Proc;
/** Every API process of this file (restarts included), for the secrets check at the end. */
const apis: Proc[] = [];
/** Every secret this file saw: none may appear in a log line. */
const secrets: string[] = [ADMIN_TOKEN];
let ids: FleetIds;
let receiver: Receiver;
/** The receiver of the host webhook (agent, readiness and drift events): one secret per receiver. */
let hostReceiver: Receiver;
/** When the current API process was started: a session it holds was opened after this. */
let apiStartedAt = 0;
const agents: Record<string, Proc> = {};
const MOVE_STATES = ["QUEUED", "STARTING", "RUNNING", "SUCCEEDED"];

const CREATE = /* GraphQL */ `
  mutation($input: CreateWebhookInput!) {
    createWebhook(input: $input) {
      webhook { id url events active }
      secret
      errors { __typename message ... on ValidationError { field } }
    }
  }`;

const DELIVERIES = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      ... on Webhook { deliveries(first: 100) { totalCount edges { node { eventId event state attempts lastStatusCode lastError deliveredAt } } } }
    }
  }`;

interface Delivery {
  eventId: string;
  event: string;
  state: string;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
}

function startApi(env: Record<string, string> = { FERRY_WEBHOOK_ALLOW_PRIVATE: "true" }) {
  apiStartedAt = Date.now();
  api = startProcess(API_MAIN, [], {
    PORT: String(port),
    HOST: "127.0.0.1",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    FERRY_LOG_LEVEL: "debug",
    FERRY_WEBHOOK_RETRY_BASE_MS: "300",
    FERRY_WEBHOOK_POLL_MS: "100",
    // Required with PostgreSQL (no key file beside an external database); the same for every restart.
    FERRY_WEBHOOK_KEY: "the-webhook-key-of-this-test-file-0123456789",
    ...database.env,
    ...env,
  });
  apis.push(api);
  return waitForReady(url, api, 240_000);
}

/**
 * Both agents hold a session on the current API process and reported their inventory to it. After
 * a restart, `connected` alone is not enough: the flag the stopped process left stays fresh for a
 * minute, and an agent still reconnecting makes no AGENT_LOST when it is stopped (the flake of the
 * AGENT_LOST test under load). markConnected and the inventory report stamp the times checked here.
 */
async function bothAgentsReady() {
  await eventually(
    async () => {
      ids = await fleetIds((q) => gqlOk(url, q));
      if (!ids.vms["vm-4"] || !ids.hosts.HV2) return false;
      const hosts = await gqlOk<{
        hosts: {
          edges: {
            node: {
              agent: { connected: boolean; lastSeenAt: string | null; inventoryReportedAt: string | null };
            };
          }[];
        };
      }>(
        url,
        "{ hosts(first: 10) { edges { node { agent { connected lastSeenAt inventoryReportedAt } } } } }",
      );
      const since = (t: string | null) => t !== null && Date.parse(t) >= apiStartedAt;
      return (
        hosts.hosts.edges.length === 2 &&
        hosts.hosts.edges.every(
          (e) =>
            e.node.agent.connected &&
            since(e.node.agent.lastSeenAt) &&
            since(e.node.agent.inventoryReportedAt),
        )
      );
    },
    180_000,
    "both agents connected to this API process and both inventories reported to it",
  );
}

async function move(vm: string): Promise<string> {
  const data = await gqlOk<{ moveVm: { migration: { id: string } | null; errors: unknown } }>(url, MOVE_GQL, {
    input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2 },
  });
  if (!data.moveVm.migration) throw new Error(`moveVm ${vm}: ${JSON.stringify(data.moveVm.errors)}`);
  return data.moveVm.migration.id;
}

const stateOf = async (id: string) =>
  (
    await gqlOk<{ node: { state: string } }>(
      url,
      "query($id: ID!) { node(id: $id) { ... on Migration { state } } }",
      { id },
    )
  ).node.state;

const eventsOf = (migrationId: string) =>
  receiver.received.filter((e) => e.type === "MIGRATION_STATE_CHANGED" && e.data.id === migrationId);

async function deliveries(webhookId: string): Promise<Delivery[]> {
  const data = await gqlOk<{ node: { deliveries: { edges: { node: Delivery }[] } } }>(url, DELIVERIES, {
    id: webhookId,
  });
  return data.node.deliveries.edges.map((e) => e.node);
}

let webhookId: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-webhooks-"));
  // Time x16: each 1 GiB move takes ~0.6 s; the tests look at the events of whole moves only.
  SimWorld.openFile(path.join(dir, "world.json"), pairWorld(4, 2, 16));
  database = await freshDatabase();
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  receiver = await startReceiver();
  hostReceiver = await startReceiver();
  await startApi();
  for (const host of ["HV1", "HV2"]) {
    agents[host] = startSimulatedAgent(url, dir, host, await enrollmentToken(url, host, ADMIN_TOKEN));
  }
  await bothAgentsReady();
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(Object.values(agents).map((a) => a.stop()));
  await api?.stop().catch(() => {});
  await receiver?.close();
  await hostReceiver?.close();
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("webhooks", () => {
  it("createWebhook shows the secret once; webhooks never shows it", async () => {
    const data = await gqlOk<{
      createWebhook: { webhook: { id: string; events: string[] }; secret: string };
    }>(url, CREATE, {
      input: { url: receiver.url, events: ["MIGRATION_STATE_CHANGED"], description: "test receiver" },
    });
    expect(data.createWebhook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    receiver.secret = data.createWebhook.secret;
    secrets.push(data.createWebhook.secret);
    webhookId = data.createWebhook.webhook.id;
    const list = await gql(
      url,
      "{ webhooks(first: 10) { totalCount edges { node { id url events description active } } } }",
    );
    expect(JSON.stringify(list)).not.toContain(receiver.secret);
    expect(list.data).toMatchObject({ webhooks: { totalCount: 1 } });
    // ADMIN only: an OPERATOR cannot list or create webhooks.
    const op = await gqlOk<{ createApiToken: { secret: string } }>(
      url,
      `mutation { createApiToken(input: {name: "op", role: OPERATOR}) { secret } }`,
    );
    secrets.push(op.createApiToken.secret);
    const denied = await gql(url, "{ webhooks(first: 1) { totalCount } }", {}, op.createApiToken.secret);
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("a receiver gets every event of a move in order, each signed, with the migration as the API returns it", async () => {
    const id = await move("vm-1");
    await eventually(
      async () => eventsOf(id).some((e) => e.data.state === "SUCCEEDED"),
      120_000,
      "SUCCEEDED delivered",
    );
    const events = eventsOf(id);
    expect(events.map((e) => e.data.state)).toEqual(MOVE_STATES);
    for (const e of events) {
      expect(e.signatureValid).toBe(true);
      expect(Math.abs(e.timestamp - Date.now() / 1000)).toBeLessThan(300);
      expect(new Date(e.time).toISOString()).toBe(e.time);
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    // data: the Migration as the API returns it (same fields, same values) for the final state.
    const api = await gqlOk<{ node: unknown }>(
      url,
      `query($id: ID!) { node(id: $id) { ... on Migration { ${MIGRATION_VIEW_FIELDS} } } }`,
      { id },
    );
    expect(events.at(-1)!.data).toEqual(api.node);
    // The delivery history says so.
    const history = (await deliveries(webhookId)).filter((d) => events.some((e) => e.id === d.eventId));
    expect(history).toHaveLength(4);
    for (const d of history)
      expect(d).toMatchObject({ state: "DELIVERED", attempts: 1, lastStatusCode: 204, lastError: null });
  });

  it("a receiver that was down gets the missed events when it is back, in order", async () => {
    await receiver.down();
    const id = await move("vm-2");
    await eventually(async () => (await stateOf(id)) === "SUCCEEDED", 120_000, "vm-2 moved");
    await eventually(
      async () =>
        (await deliveries(webhookId)).some((d) => d.state === "PENDING" && d.attempts >= 2 && d.lastError),
      60_000,
      "failed attempts recorded",
    );
    expect(eventsOf(id)).toHaveLength(0);
    await receiver.up();
    await eventually(async () => eventsOf(id).length === 4, 120_000, "the missed events delivered");
    expect(eventsOf(id).map((e) => e.data.state)).toEqual(MOVE_STATES);
    expect(eventsOf(id).every((e) => e.signatureValid)).toBe(true);
  });

  it("missed events survive an API restart and are delivered after it, each once", async () => {
    await receiver.down();
    const id = await move("vm-3");
    await eventually(async () => (await stateOf(id)) === "SUCCEEDED", 120_000, "vm-3 moved");
    expect(await api.stop()).toBe(0);
    await receiver.up();
    await startApi();
    await eventually(
      async () => eventsOf(id).length === 4,
      120_000,
      "vm-3's events delivered after the restart",
    );
    expect(eventsOf(id).map((e) => e.data.state)).toEqual(MOVE_STATES);
    const all = receiver.received.filter((e) => e.type === "MIGRATION_STATE_CHANGED");
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all).toHaveLength(12);
    await bothAgentsReady();
  });

  it("AGENT_LOST and AGENT_CONNECTED (and the host's readiness) follow an agent's connection", async () => {
    // A second webhook with its own receiver (and secret) for the host events.
    const data = await gqlOk<{ createWebhook: { secret: string } }>(url, CREATE, {
      input: {
        url: hostReceiver.url,
        events: ["AGENT_CONNECTED", "AGENT_LOST", "HOST_READINESS_CHANGED", "HOST_DRIFT_CHANGED"],
      },
    });
    hostReceiver.secret = data.createWebhook.secret;
    secrets.push(data.createWebhook.secret);
    const before = hostReceiver.received.length;
    const mine = () => hostReceiver.received.slice(before);
    const lostAt = () => mine().findIndex((e) => e.type === "AGENT_LOST" && e.data.name === "HV2");
    const hv2NotReady = (e: Received) =>
      e.type === "HOST_READINESS_CHANGED" && e.data.name === "HV2" && !e.data.ready;
    await agents.HV2!.stop();
    await eventually(
      async () => lostAt() >= 0 && mine().some(hv2NotReady),
      120_000,
      "AGENT_LOST and HOST_READINESS_CHANGED (not ready) for HV2",
    );
    agents.HV2 = startSimulatedAgent(url, dir, "HV2");
    await eventually(
      async () =>
        mine()
          .slice(lostAt() + 1)
          .some((e) => e.type === "AGENT_CONNECTED" && e.data.name === "HV2"),
      120_000,
      "AGENT_CONNECTED for HV2 after its AGENT_LOST",
    );
    const lost = mine()[lostAt()]!;
    expect(lost.data).toMatchObject({ id: ids.hosts.HV2, name: "HV2", agent: { connected: false } });
    const connected = mine()
      .slice(lostAt() + 1)
      .find((e) => e.type === "AGENT_CONNECTED" && e.data.name === "HV2")!;
    expect(connected.data).toMatchObject({ id: ids.hosts.HV2, name: "HV2", agent: { connected: true } });
    expect(mine().every((e) => e.signatureValid)).toBe(true);
    await bothAgentsReady();
  });

  it("HOST_DRIFT_CHANGED: a profile's assignment makes drift, its application clears it; data is the Host as the API returns it", async () => {
    const before = hostReceiver.received.length;
    const drifts = () =>
      hostReceiver.received
        .slice(before)
        .filter((e) => e.type === "HOST_DRIFT_CHANGED" && e.data.name === "HV1");
    const profile = await gqlOk<{ createMigrationProfile: { profile: { id: string } } }>(
      url,
      `mutation { createMigrationProfile(input: {name: "three at once", maximumVirtualMachineMigrations: 3}) {
         profile { id } errors { message } } }`,
    );
    const profileId = profile.createMigrationProfile.profile.id;
    await gqlOk(
      url,
      "mutation($h: [ID!]!, $p: ID) { assignMigrationProfile(input: {hosts: $h, profile: $p}) { errors { message } } }",
      { h: [ids.hosts.HV1], p: profileId },
    );
    await eventually(async () => drifts().length >= 1, 60_000, "HOST_DRIFT_CHANGED after the assignment");
    const HOST_DRIFT =
      "query($id: ID!) { node(id: $id) { ... on Host { id name drift { field desired actual message } } } }";
    const drifted = drifts()[0]!;
    expect(drifted.data.drift).toEqual([
      {
        field: "maximumVirtualMachineMigrations",
        desired: "3",
        actual: "2",
        message: "maximumVirtualMachineMigrations is 2, the profile wants 3.",
      },
    ]);
    expect(drifted.data).toEqual(
      (await gqlOk<{ node: unknown }>(url, HOST_DRIFT, { id: ids.hosts.HV1 })).node,
    );
    // The agent converges HV1 to the profile; its next inventory shows no drift: an event with [].
    await gqlOk(
      url,
      "mutation($p: ID!) { applyMigrationProfile(input: {profile: $p}) { errors { message } } }",
      {
        p: profileId,
      },
    );
    await eventually(
      async () => drifts().some((e) => Array.isArray(e.data.drift) && e.data.drift.length === 0),
      120_000,
      "HOST_DRIFT_CHANGED with no drift after applyMigrationProfile",
    );
    expect(drifts().at(-1)!.data).toEqual({ id: ids.hosts.HV1, name: "HV1", drift: [] });
    expect(drifts().every((e) => e.signatureValid)).toBe(true);
    // Each change once: the assignment's drift, then none (no event for an unchanged drift).
    expect(drifts().map((e) => (e.data.drift as unknown[]).length)).toEqual([1, 0]);
  });

  it("refuses private, loopback and link-local targets without FERRY_WEBHOOK_ALLOW_PRIVATE", async () => {
    await api.stop();
    await startApi({});
    await bothAgentsReady();
    for (const target of [
      receiver.url,
      "http://localhost:8080/x",
      "http://169.254.169.254/latest/meta-data",
      "http://[::1]/x",
      "http://10.0.0.8/x",
    ]) {
      const data = await gqlOk<{
        createWebhook: {
          webhook: unknown;
          secret: string | null;
          errors: { __typename: string; field: string; message: string }[];
        };
      }>(url, CREATE, { input: { url: target, events: ["AGENT_LOST"] } });
      expect(data.createWebhook.webhook, target).toBeNull();
      expect(data.createWebhook.secret).toBeNull();
      expect(data.createWebhook.errors[0]).toMatchObject({
        __typename: "ValidationError",
        field: "input.url",
      });
      expect(data.createWebhook.errors[0]!.message).toMatch(/private, loopback or link-local/);
    }
    // The webhook created while private targets were allowed is not sent to now (checked per delivery).
    const before = receiver.received.length;
    const id = await move("vm-4");
    await eventually(async () => (await stateOf(id)) === "SUCCEEDED", 120_000, "vm-4 moved");
    await eventually(
      async () =>
        (await deliveries(webhookId)).some((d) => d.state === "PENDING" && /private/.test(d.lastError ?? "")),
      60_000,
      "delivery refused as private",
    );
    expect(receiver.received.length).toBe(before);
  });

  it("no token or webhook secret appears in the logs of this run (API at debug level, agents)", () => {
    const logs = [...apis, ...Object.values(agents)].map((p) => p.output()).join("\n");
    expect(logs.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(logs.includes(secret), "a known secret is in the logs").toBe(false);
    // Any Ferry bearer secret (fy_ API, fya_ agent, fye_ enrollment) or webhook secret, known to this test or not.
    expect(logs.match(/\b(?:fy[ae]?|whsec)_[A-Za-z0-9_-]{20,}/g) ?? []).toEqual([]);
  });
});
