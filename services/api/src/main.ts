#!/usr/bin/env -S node --import tsx
// ferry-api: parses configuration, starts the API, stops gracefully on SIGINT/SIGTERM.
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { startApiServer } from "./server.ts";

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const api = await startApiServer(config);
  if (api.generatedAdminToken) {
    console.log(`\nBootstrap admin token (shown once, stored hashed):\n  ${api.generatedAdminToken}\n`);
  }
  const shutdown = async (signal: string) => {
    api.app.logger.info({ signal }, "shutting down");
    await api.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error("Ferry API failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
