#!/usr/bin/env -S node --import tsx
// `npm start`: the API on embedded PGlite plus a simulated fleet of real agents over WebSocket.
// Prints the GraphiQL URL, the admin token and a first query.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { ConfigError, loadConfig, loadDemoConfig } from "./config.ts";
import { startApiServer } from "./server.ts";

const FLEET = path.resolve(import.meta.dirname, "../../agent/src/fleet.ts");

async function main() {
  const config = loadConfig();
  const demo = loadDemoConfig();
  // Without FERRY_ADMIN_TOKEN the demo issues a fresh admin token each start so it can print it.
  const api = await startApiServer(config, { rotateAdminToken: !config.adminToken });
  const adminToken = config.adminToken ?? api.generatedAdminToken!;
  const fleetDir =
    config.database.kind === "pglite"
      ? path.join(config.database.dataDir, "fleet")
      : path.resolve(".ferry/fleet");
  const fleet: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      FLEET,
      "--api",
      api.url,
      "--admin-token",
      adminToken,
      "--state-dir",
      fleetDir,
      "--hosts",
      String(demo.hosts),
      "--seed",
      String(demo.seed),
      "--time-scale",
      String(demo.timeScale),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  fleet.on("exit", (code) => {
    if (code !== 0 && code !== null) api.app.logger.error({ code }, "simulated fleet exited");
  });

  console.log(`
  Ferry demo: ${demo.hosts} simulated Hyper-V hosts (seed ${demo.seed}, time x${demo.timeScale})

  GraphiQL:     ${api.url}/graphql
  Admin token:  ${adminToken}
                (GraphiQL "Headers" tab: {"Authorization": "Bearer ${adminToken}"})

  First query:  { hosts { totalCount edges { node { name cpuVendor migrationSettings { enabled }
                  vms(first: 5) { edges { node { name state memoryAssignedBytes } } } } } } }
`);

  const shutdown = async () => {
    fleet.kill("SIGTERM");
    await new Promise((resolve) => (fleet.exitCode !== null ? resolve(null) : fleet.once("exit", resolve)));
    await api.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
}

main().catch((error) => {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `Ferry demo failed: ${error instanceof Error ? error.message : error}`,
  );
  process.exit(1);
});
