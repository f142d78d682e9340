// A simulated fleet of real agents (in this process, each with its own WebSocket) against a test API.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type SimWorld, startFleet, type WorldDefinition } from "@ferry/agent/simulator";
import { ADMIN_TOKEN, eventually, type TestApi } from "./api.ts";
import { RECONNECT_CAP_MS } from "./processes.ts";

export interface TestFleet {
  world: SimWorld;
  hostNames: string[];
  stop(): Promise<void>;
}

/** Starts one agent per simulated host and waits until every host's inventory is in the API. */
export async function startTestFleet(
  api: TestApi,
  options: {
    hosts?: number;
    seed?: number;
    timeScale?: number;
    vmsPerHost?: number;
    definition?: WorldDefinition;
  } = {},
): Promise<TestFleet> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-fleet-"));
  const fleet = await startFleet({
    apiUrl: api.url,
    adminToken: ADMIN_TOKEN,
    stateDir,
    hosts: options.hosts ?? 2,
    seed: options.seed ?? 1,
    timeScale: options.timeScale ?? 50,
    vmsPerHost: options.vmsPerHost ?? 4,
    world: "memory",
    definition: options.definition,
    // After an API restart an agent is back within ~1.5 s instead of its backoff's (up to 30 s).
    maxReconnectDelayMs: RECONNECT_CAP_MS,
  });
  const hostNames = fleet.world.hostNames();
  await eventually(
    async () => {
      const reported = await api.server.app.db.prisma.host.count({
        where: { name: { in: hostNames }, inventoryReportedAt: { not: null }, agentConnected: true },
      });
      return reported === hostNames.length;
    },
    30_000,
    "every simulated host reported its inventory",
  );
  return {
    world: fleet.world,
    hostNames,
    async stop() {
      await fleet.stop();
      fs.rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
