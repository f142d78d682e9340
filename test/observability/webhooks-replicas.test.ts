// Issue 15: two API replicas on PostgreSQL + Redis deliver each webhook event once. Both replicas'
// delivery workers poll every 20 ms for the same webhook; only the lease holder sends.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";
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
import { type Receiver, startReceiver } from "./receiver.ts";

const redisUrl = process.env.REDIS_URL || undefined;
const VMS = ["vm-1", "vm-2", "vm-3", "vm-4"];

let dir: string;
let database: TestDatabaseEnv;
let receiver: Receiver;
let ids: FleetIds;
const replicas: { url: string; proc: Proc }[] = [];
const agents: Proc[] = [];

async function startReplica(name: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = startProcess(API_MAIN, [], {
    PORT: String(port),
    HOST: "127.0.0.1",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    FERRY_LOG_LEVEL: "warn",
    FERRY_REPLICA_ID: name,
    REDIS_URL: redisUrl!,
    FERRY_WEBHOOK_KEY: "a-shared-webhook-key-for-both-replicas-0123456789",
    FERRY_WEBHOOK_ALLOW_PRIVATE: "true",
    FERRY_WEBHOOK_POLL_MS: "20",
    ...database.env,
  });
  replicas.push({ url, proc });
  return { url, proc };
}

const url = (i: number) => replicas[i % 2]!.url;

beforeAll(async () => {
  if (!postgresUrl || !redisUrl) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-webhooks-replicas-"));
  SimWorld.openFile(path.join(dir, "world.json"), pairWorld(VMS.length, 2, 8));
  database = await freshDatabase();
  receiver = await startReceiver();
  const started = await Promise.all([startReplica("replica-a"), startReplica("replica-b")]);
  await Promise.all(started.map((r) => waitForReady(r.url, r.proc, 240_000)));
  agents.push(startSimulatedAgent(url(0), dir, "HV1", await enrollmentToken(url(0), "HV1", ADMIN_TOKEN)));
  agents.push(startSimulatedAgent(url(1), dir, "HV2", await enrollmentToken(url(1), "HV2", ADMIN_TOKEN)));
  await eventually(
    async () => {
      ids = await fleetIds((q) => gqlOk(url(0), q));
      const hosts = await gqlOk<{ hosts: { edges: { node: { agent: { connected: boolean } } }[] } }>(
        url(1),
        "{ hosts(first: 10) { edges { node { agent { connected } } } } }",
      );
      return (
        !!ids.vms["vm-4"] &&
        hosts.hosts.edges.length === 2 &&
        hosts.hosts.edges.every((e) => e.node.agent.connected)
      );
    },
    180_000,
    "both agents connected with their inventories",
  );
}, 600_000);

afterAll(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await Promise.allSettled(replicas.map((r) => r.proc.stop()));
  await receiver?.close();
  await database?.drop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!postgresUrl || !redisUrl)("webhooks with two replicas (PostgreSQL + Redis)", () => {
  it("every event is delivered exactly once although both replicas' workers compete for it", async () => {
    const created = await gqlOk<{ createWebhook: { webhook: { id: string }; secret: string } }>(
      url(0),
      `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } secret } }`,
      { input: { url: receiver.url, events: ["MIGRATION_STATE_CHANGED"] } },
    );
    receiver.secret = created.createWebhook.secret;
    // Moves requested on both replicas; the state changes happen on whichever replica handles them.
    const moves = await Promise.all(
      VMS.map(async (vm, i) => {
        const data = await gqlOk<{ moveVm: { migration: { id: string } } }>(url(i), MOVE_GQL, {
          input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2 },
        });
        return data.moveVm.migration.id;
      }),
    );
    const succeeded = (id: string) =>
      receiver.received.some((e) => e.data.id === id && e.data.state === "SUCCEEDED");
    await eventually(async () => moves.every(succeeded), 240_000, "every move's SUCCEEDED delivered");
    // Give a would-be duplicate time to arrive: both workers poll every 20 ms.
    await new Promise((r) => setTimeout(r, 2000));
    const eventIds = receiver.received.map((e) => e.id);
    expect(new Set(eventIds).size, "no event delivered twice").toBe(eventIds.length);
    for (const id of moves) {
      expect(receiver.received.filter((e) => e.data.id === id).map((e) => e.data.state)).toEqual([
        "QUEUED",
        "STARTING",
        "RUNNING",
        "SUCCEEDED",
      ]);
    }
    expect(receiver.received.every((e) => e.signatureValid)).toBe(true);
    const deliveries = await gqlOk<{
      node: { deliveries: { totalCount: number; edges: { node: { state: string; attempts: number } }[] } };
    }>(
      url(1),
      `query($id: ID!) { node(id: $id) { ... on Webhook { deliveries(first: 100) { totalCount edges { node { state attempts } } } } } }`,
      { id: created.createWebhook.webhook.id },
    );
    expect(deliveries.node.deliveries.totalCount).toBe(VMS.length * 4);
    expect(
      deliveries.node.deliveries.edges.every((e) => e.node.state === "DELIVERED" && e.node.attempts === 1),
    ).toBe(true);
  });
});
