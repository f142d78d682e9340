#!/usr/bin/env -S node --import tsx
// `npm start`: the API on embedded PGlite plus a simulated fleet of real agents over WebSocket.
// The demo composes the two services (like the tests do), so it lives in neither: the API never
// imports the agent (.dependency-cruiser.cjs: services-only-through-packages, demo-is-a-leaf).
// Prints the GraphiQL URL, the admin token and a first query. The demo listens on loopback unless
// HOST says otherwise, and the fleet runs in this process: the admin token it enrolls hosts with
// never appears on a command line (which every local user can read in /proc or `ps`).
import path from "node:path";
import { startFleet } from "@ferry/agent/simulator";
import { ConfigError, loadConfig, loadDemoConfig, startApiServer } from "@ferry/api/server";

async function main() {
  const config = loadConfig({ HOST: "127.0.0.1", ...process.env });
  const demo = loadDemoConfig();
  // Without FERRY_ADMIN_TOKEN the demo issues a fresh admin token each start so it can print it.
  const api = await startApiServer(config, { rotateAdminToken: !config.adminToken });
  const adminToken = config.adminToken ?? api.generatedAdminToken!;
  const fleetDir =
    config.database.kind === "pglite"
      ? path.join(config.database.dataDir, "fleet")
      : path.resolve(".ferry/fleet");
  const log = api.app.logger.child({ module: "fleet" });
  const fleet = await startFleet({
    apiUrl: api.url,
    adminToken,
    stateDir: fleetDir,
    hosts: demo.hosts,
    seed: demo.seed,
    timeScale: demo.timeScale,
    log: (msg, extra) => {
      if (msg !== "connected") log.info(extra ?? {}, msg);
    },
  });

  console.log(`
  Ferry demo: ${fleet.agents.length} simulated Hyper-V hosts (seed ${demo.seed}, time x${demo.timeScale})

  GraphiQL:     ${api.url}/graphql
  Console:      ${api.url}/ui/  (sign in with the admin token)
  Admin token:  ${adminToken}
                (GraphiQL "Headers" tab: {"Authorization": "Bearer ${adminToken}"})

  First query:  { hosts { totalCount edges { node { name cpuVendor migrationSettings { enabled }
                  vms(first: 5) { edges { node { name state memoryAssignedBytes } } } } } } }
`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await fleet.stop();
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
