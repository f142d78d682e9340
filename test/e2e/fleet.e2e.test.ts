// Issue 2's end-to-end check: the API and two agents as separate processes, inventory over HTTP,
// hostChanged over graphql-ws with the real client.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, gqlOk } from "../helpers/api.ts";
import { freshDatabase, type TestDatabaseEnv } from "../helpers/database.ts";
import {
  enrollmentToken,
  type Proc,
  startApiProcess,
  startSimulatedAgent,
  waitForReady,
} from "../helpers/processes.ts";
import { collect, wsClient } from "../helpers/ws.ts";

let database: TestDatabaseEnv;
let api: Proc;
let url: string;
let dir: string;
const agents: Proc[] = [];

const HOSTS_QUERY = `{ hosts(first: 10) { totalCount edges { node { id name cpuVendor agent { connected backend }
  virtualSwitches migrationSettings { enabled maximumVirtualMachineMigrations }
  vms(first: 100) { totalCount edges { node { vmId name state memoryAssignedBytes hardDrives { path } host { name } } } } } } } }`;

type HostsResult = {
  hosts: {
    totalCount: number;
    edges: {
      node: {
        id: string;
        name: string;
        agent: { connected: boolean; backend: string };
        vms: {
          totalCount: number;
          edges: { node: { vmId: string; name: string; host: { name: string } } }[];
        };
      };
    }[];
  };
};

function startAgent(host: string, token?: string) {
  const proc = startSimulatedAgent(url, dir, host, token);
  agents.push(proc);
  return proc;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-e2e-"));
  SimWorld.openFile(path.join(dir, "world.json"), generateFleet({ hosts: 2, seed: 7, vmsPerHost: 6 }));
  database = await freshDatabase();
  ({ url, proc: api } = await startApiProcess(database.env));
  await waitForReady(url, api);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await api?.stop();
  await database?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("walking skeleton end to end", () => {
  it("two agent processes enroll, report inventory, and hostChanged reaches a WebSocket subscriber", async () => {
    const client = wsClient(url, ADMIN_TOKEN);
    const changes = collect<{
      hostChanged: { name: string; agent: { connected: boolean }; vms: { totalCount: number } };
    }>(client, "subscription { hostChanged { name agent { connected } vms { totalCount } } }");
    // Give the subscription a moment to be registered before anything changes.
    await new Promise((r) => setTimeout(r, 300));

    const world = SimWorld.openFile(path.join(dir, "world.json")).definition();
    for (const host of world.hosts) {
      startAgent(host.facts.name, await enrollmentToken(url, host.facts.name, ADMIN_TOKEN));
    }

    const data = await eventually(
      async () => {
        const d = await gqlOk<HostsResult>(url, HOSTS_QUERY);
        const ready =
          d.hosts.edges.length === 2 &&
          d.hosts.edges.every(
            (e) => e.node.agent.connected && e.node.agent.backend && e.node.vms.totalCount > 0,
          );
        return ready ? d : null;
      },
      180_000,
      `inventory of both agents\n${agents.map((a) => a.output()).join("\n")}`,
    );

    for (const host of world.hosts) {
      const node = data.hosts.edges.find((e) => e.node.name === host.facts.name)?.node;
      if (!node) throw new Error(`host ${host.facts.name} missing from ${JSON.stringify(data)}`);
      expect(node.agent.backend).toBe("simulator");
      expect(node.vms.totalCount).toBe(host.vms.length);
      expect(node.vms.edges.map((e) => e.node.vmId).sort()).toEqual(host.vms.map((v) => v.vmId).sort());
      expect(node.vms.edges.every((e) => e.node.host.name === host.facts.name)).toBe(true);
    }
    const hostName = world.hosts[0]!.facts.name;
    await changes.next(
      (e) =>
        e.hostChanged.name === hostName && e.hostChanged.agent.connected && e.hostChanged.vms.totalCount > 0,
    );

    // Stopping an agent is visible to subscribers; restarting it reuses the stored credential.
    await agents[0]!.stop();
    await changes.next((e) => e.hostChanged.name === hostName && !e.hostChanged.agent.connected);
    const restarted = startAgent(hostName);
    await eventually(
      async () => {
        const d = await gqlOk<HostsResult>(url, HOSTS_QUERY);
        return d.hosts.edges.find((e) => e.node.name === hostName)?.node.agent.connected;
      },
      120_000,
      `restarted agent reconnects\n${restarted.output()}`,
    );
    // The API's log names the cause of a masked error.
    expect(changes.errors, api.output()).toEqual([]);
    changes.stop();
    await client.dispose();
  });

  it("refuses the same queries without a token", async () => {
    const response = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: HOSTS_QUERY }),
    });
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe("UNAUTHENTICATED");
  });
});
