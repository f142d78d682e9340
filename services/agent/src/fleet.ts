#!/usr/bin/env -S node --import tsx
// A simulated fleet: one agent per host of a simulated world, all in this process, each with its
// own WebSocket to the API exactly like a real agent. The demo (`npm start`) and load tests use it.
// With an admin token it enrolls its hosts itself, like an operator would through the API.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type Agent, createAgent } from "./agent.ts";
import { generateFleet, SimWorld } from "./backends/simulator/index.ts";
import type { WorldDefinition } from "./backends/world.ts";

export interface FleetOptions {
  apiUrl: string;
  adminToken: string;
  stateDir: string;
  hosts: number;
  seed: number;
  timeScale: number;
  /** "file": the world survives restarts (demo); "memory": cheapest (load tests). */
  world?: "file" | "memory";
  vmsPerHost?: number;
  /** A hand-made world instead of generateFleet's (tests). */
  definition?: WorldDefinition;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  /** Each agent's upper bound of the reconnect delay (default 30 s; tests lower it). */
  maxReconnectDelayMs?: number;
}

const ENROLL_MUTATION = `mutation($input: CreateAgentEnrollmentInput!) {
  createAgentEnrollment(input: $input) { token errors { message } } }`;

async function createEnrollment(apiUrl: string, adminToken: string, hostName: string): Promise<string> {
  const response = await fetch(new URL("/graphql", apiUrl), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({ query: ENROLL_MUTATION, variables: { input: { hostName } } }),
  });
  const body = (await response.json()) as {
    data?: { createAgentEnrollment?: { token: string | null; errors: { message: string }[] | null } };
    errors?: { message: string }[];
  };
  const token = body.data?.createAgentEnrollment?.token;
  if (!token) {
    throw new Error(
      `createAgentEnrollment(${hostName}) failed: ${body.errors?.[0]?.message ?? body.data?.createAgentEnrollment?.errors?.[0]?.message}`,
    );
  }
  return token;
}

export async function startFleet(
  options: FleetOptions,
): Promise<{ agents: Agent[]; world: SimWorld; stop(): Promise<void> }> {
  fs.mkdirSync(options.stateDir, { recursive: true });
  const definition =
    options.definition ??
    generateFleet({
      hosts: options.hosts,
      seed: options.seed,
      timeScale: options.timeScale,
      vmsPerHost: options.vmsPerHost,
    });
  const worldFile = path.join(options.stateDir, "world.json");
  const world =
    options.world === "memory" ? SimWorld.create(definition) : SimWorld.openFile(worldFile, definition);
  const log = options.log ?? (() => {});
  const agents: Agent[] = [];
  for (const hostName of world.hostNames()) {
    const stateDir = path.join(options.stateDir, "agents", hostName);
    const enrolled = fs.existsSync(path.join(stateDir, "credential.json"));
    const agent = await createAgent({
      apiUrl: options.apiUrl,
      stateDir,
      backend: world.backend(hostName),
      enrollmentToken: enrolled
        ? undefined
        : await createEnrollment(options.apiUrl, options.adminToken, hostName),
      log: (msg, extra) => log(msg, { host: hostName, ...extra }),
      maxReconnectDelayMs: options.maxReconnectDelayMs,
    });
    await agent.start();
    agents.push(agent);
  }
  return {
    agents,
    world,
    async stop() {
      await Promise.all(agents.map((a) => a.stop()));
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      api: { type: "string" },
      "admin-token": { type: "string" },
      "state-dir": { type: "string", default: "./.ferry/fleet" },
      hosts: { type: "string", default: "4" },
      seed: { type: "string", default: "1" },
      "time-scale": { type: "string", default: "1" },
    },
  });
  if (!values.api || !values["admin-token"]) {
    console.error(
      "usage: fleet --api <url> --admin-token <token> [--state-dir d] [--hosts n] [--seed n] [--time-scale x]",
    );
    process.exit(2);
  }
  const fleet = await startFleet({
    apiUrl: values.api,
    adminToken: values["admin-token"],
    stateDir: values["state-dir"]!,
    hosts: Number(values.hosts),
    seed: Number(values.seed),
    timeScale: Number(values["time-scale"]),
    log: (msg, extra) => {
      if (msg !== "connected") console.log(JSON.stringify({ msg, ...extra }));
    },
  });
  console.log(JSON.stringify({ msg: "fleet started", hosts: fleet.agents.map((a) => a.hostName) }));
  const shutdown = async () => {
    await fleet.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
}

if (process.argv[1] && import.meta.filename === fs.realpathSync(process.argv[1])) {
  main().catch((error) => {
    console.error(`fleet: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  });
}
