#!/usr/bin/env -S node --import tsx
import fs from "node:fs";
import path from "node:path";
// ferry-agent: the Hyper-V host agent. `ferry-agent --help` lists the commands and options.
import { AGENT_VERSION, createAgent } from "./agent.ts";
import { createBackend } from "./backends/create.ts";
import { configPath, type ParsedArgs, parseCommandLine, USAGE } from "./cli/args.ts";
import {
  type AgentSettings,
  ConfigError,
  defaultStateDir,
  readConfigFile,
  resolveSettings,
} from "./config/load.ts";
import { runDoctor } from "./doctor/doctor.ts";
import { apiTransport } from "./link/proxy.ts";
import { eventcreateWriter } from "./log/event-log.ts";
import { createAgentLogger } from "./log/logger.ts";
import { runServiceCommand, type ServiceVerb } from "./service/service.ts";
import { systemRunner } from "./windows/commands.ts";

function settingsFrom(args: ParsedArgs, requireApi = true): AgentSettings {
  const file = configPath(args.config, process.env, process.platform);
  const config = file ? readConfigFile(file) : undefined;
  return resolveSettings(
    args.flags,
    config,
    { platform: process.platform, env: process.env },
    file,
    requireApi,
  );
}

async function doctor(args: ParsedArgs): Promise<number> {
  const settings = settingsFrom(args, false);
  const { text, exitCode } = await runDoctor({
    runner: systemRunner,
    platform: process.platform,
    powershell: settings.powershell,
    psModule: settings.psModule,
    apiUrls: settings.apiUrls,
    stateDir: settings.stateDir,
    uid: process.getuid?.(),
    transport: apiTransport(settings),
    proxy: settings.proxy,
    noProxy: settings.noProxy,
  });
  console.log(text);
  return exitCode;
}

/**
 * Tests only, like FERRY_AGENT_FAILPOINTS (unset in production: the link's 30 s cap): a lower cap on
 * the reconnect delay, so an agent is back promptly after the test restarts its API.
 */
function testReconnectCap(): number | undefined {
  const ms = Number(process.env.FERRY_AGENT_MAX_RECONNECT_DELAY_MS);
  return Number.isInteger(ms) && ms > 0 ? ms : undefined;
}

async function run(args: ParsedArgs) {
  const settings = settingsFrom(args);
  let logger: Awaited<ReturnType<typeof createAgentLogger>> | undefined;
  logger = await createAgentLogger({
    level: settings.logLevel,
    stateDir: settings.stateDir,
    eventLog:
      process.platform === "win32"
        ? eventcreateWriter(systemRunner, (error) => logger?.log("event log write failed", { error }))
        : undefined,
  });
  const log = logger.log;
  const backend = await createBackend({
    backend: settings.backend,
    psModule: settings.psModule,
    pwsh: settings.powershell,
    simWorld: args.sim.world,
    simHost: args.sim.host,
    simSeed: args.sim.seed,
    simHosts: args.sim.hosts,
    simTimeScale: args.sim.timeScale,
  });
  const agent = await createAgent({
    apiUrl: settings.apiUrls,
    stateDir: settings.stateDir,
    backend,
    enrollmentToken: settings.enrollmentToken,
    inventoryIntervalMs: settings.inventoryIntervalMs,
    transport: apiTransport(settings),
    log,
    onFatal: () => void logger.close().finally(() => process.exit(3)),
    maxReconnectDelayMs: testReconnectCap(),
  });
  await agent.start();
  const shutdown = async () => {
    await agent.stop();
    await logger.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
}

async function service(args: ParsedArgs, verb: ServiceVerb): Promise<number> {
  const host = { platform: process.platform, env: process.env };
  const file = configPath(args.config, process.env, process.platform);
  const config = file ? readConfigFile(file) : undefined;
  const fromFile = config?.stateDir && file ? path.resolve(path.dirname(file), config.stateDir) : undefined;
  const stateDir = path.resolve(args.flags.stateDir ?? fromFile ?? defaultStateDir(host));
  return runServiceCommand(verb, {
    runner: systemRunner,
    platform: process.platform,
    installDir: path.dirname(fs.realpathSync(process.argv[1]!)),
    nodePath: process.execPath,
    stateDir,
    configFile: file,
    flags: args.flags,
    purge: args.purge,
    out: (line) => console.log(line),
  });
}

async function main() {
  const args = parseCommandLine(process.argv.slice(2));
  switch (args.command.kind) {
    case "help":
      console.log(USAGE);
      return;
    case "version":
      console.log(AGENT_VERSION);
      return;
    case "run":
      return run(args);
    case "doctor":
      process.exitCode = await doctor(args);
      return;
    case "service":
      process.exitCode = await service(args, args.command.verb);
      return;
  }
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(`ferry-agent: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`ferry-agent: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
