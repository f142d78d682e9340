// `ferry-agent service install|uninstall|start|stop|status`: the "Ferry Agent" Windows service, through
// the bundled WinSW wrapper (winsw.ts) and sc.exe / icacls.exe / reg.exe, every one of them run through
// the injectable CommandRunner with an argument array. State, credential and configuration live in
// the state folder (%ProgramData%\Ferry), readable only by SYSTEM and Administrators.
import fs from "node:fs";
import path from "node:path";
import type { ServiceVerb } from "../cli/args.ts";

export type { ServiceVerb };

import type { AgentFlags } from "../config/load.ts";
import { ConfigError, readConfigFile } from "../config/load.ts";
import { agentConfigSchema } from "../config/schema.ts";
import { EVENT_SOURCE } from "../log/event-log.ts";
import type { CommandResult, CommandRunner } from "../windows/commands.ts";
import { SERVICE_ID, SERVICE_NAME, WRAPPER_EXE, WRAPPER_XML, wrapperXml } from "./winsw.ts";

/** SIDs, not names: "Administrators" is "Administratoren" on a German Windows. */
export const SYSTEM_SID = "*S-1-5-18";
export const ADMINISTRATORS_SID = "*S-1-5-32-544";
const SC_SERVICE_DOES_NOT_EXIST = 1060;
const EVENT_SOURCE_KEY = `HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\${EVENT_SOURCE}`;

export class ServiceError extends Error {
  override readonly name = "ServiceError";
}

export interface ServiceContext {
  runner: CommandRunner;
  platform: NodeJS.Platform;
  /** The folder of ferry-agent.js and ferry-agent-service.exe (the installed package). */
  installDir: string;
  /** node.exe that runs the service (the one running this command). */
  nodePath: string;
  stateDir: string;
  /** The configuration to start from (--config), if not the state folder's own. */
  configFile?: string;
  flags: AgentFlags;
  purge?: boolean;
  out: (line: string) => void;
}

export function serviceConfigFile(stateDir: string): string {
  return path.join(stateDir, "ferry-agent.json");
}

function failed(what: string, result: CommandResult): ServiceError {
  const detail = (result.stderr || result.stdout).trim();
  return new ServiceError(`${what} failed (exit ${result.code})${detail ? `: ${detail}` : ""}`);
}

async function must(ctx: ServiceContext, what: string, file: string, args: string[]): Promise<CommandResult> {
  const result = await ctx.runner.run(file, args);
  if (result.code !== 0) throw failed(what, result);
  return result;
}

function wrapper(ctx: ServiceContext): string {
  return path.join(ctx.installDir, WRAPPER_EXE);
}

/** RUNNING, STOPPED, ... or null when no such service exists. */
export async function serviceState(ctx: ServiceContext): Promise<string | null> {
  const result = await ctx.runner.run("sc.exe", ["query", SERVICE_ID]);
  if (result.code === SC_SERVICE_DOES_NOT_EXIST) return null;
  if (result.code !== 0) throw failed(`sc.exe query ${SERVICE_ID}`, result);
  return /STATE\s*:\s*\d+\s+(\w+)/.exec(result.stdout)?.[1] ?? "UNKNOWN";
}

/** The service's configuration: the existing file (kept on upgrade), --config, then the flags given now. */
function writeServiceConfig(ctx: ServiceContext): string {
  const target = serviceConfigFile(ctx.stateDir);
  const base = fs.existsSync(target) ? readConfigFile(target) : {};
  const given =
    ctx.configFile && path.resolve(ctx.configFile) !== path.resolve(target)
      ? readConfigFile(ctx.configFile)
      : {};
  const f = ctx.flags;
  const merged: Record<string, unknown> = { ...base, ...given, stateDir: ctx.stateDir };
  if (f.api !== undefined)
    merged.apiUrls = f.api
      .split(",")
      .map((u) => u.trim())
      .filter(Boolean);
  if (f.enrollmentToken !== undefined) merged.enrollmentToken = f.enrollmentToken;
  if (f.logLevel !== undefined) merged.logLevel = f.logLevel;
  if (f.inventoryInterval !== undefined) merged.inventoryIntervalSeconds = Number(f.inventoryInterval);
  if (f.pwsh !== undefined) merged.powershell = f.pwsh;
  if (f.psModule !== undefined) merged.psModule = f.psModule;
  if (f.proxy !== undefined) merged.proxy = f.proxy;
  if (f.noProxy !== undefined)
    merged.noProxy = f.noProxy
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
  const checked = agentConfigSchema.safeParse(merged);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new ConfigError(`${target}: ${issue.path.join(".") || "(top level)"}: ${issue.message}`);
  }
  fs.writeFileSync(target, `${JSON.stringify(checked.data, null, 2)}\n`);
  return target;
}

async function install(ctx: ServiceContext): Promise<number> {
  const agentScript = path.join(ctx.installDir, "ferry-agent.js");
  if (!fs.existsSync(wrapper(ctx)))
    throw new ServiceError(`${wrapper(ctx)} is missing: run from the unpacked package`);
  fs.mkdirSync(path.join(ctx.stateDir, "logs"), { recursive: true });
  // Only SYSTEM and Administrators: no inherited entries (Users can read %ProgramData% by default).
  await must(ctx, "icacls (state folder ACL)", "icacls.exe", [
    ctx.stateDir,
    "/inheritance:r",
    "/grant:r",
    `${SYSTEM_SID}:(OI)(CI)F`,
    `${ADMINISTRATORS_SID}:(OI)(CI)F`,
  ]);
  const configFile = writeServiceConfig(ctx);
  // An upgrade or a re-install: replace the registration (the wrapper or node path may have moved).
  if ((await serviceState(ctx)) !== null) {
    await ctx.runner.run(wrapper(ctx), ["stop"]);
    await must(ctx, "removing the previous registration", wrapper(ctx), ["uninstall"]);
  }
  fs.writeFileSync(
    path.join(ctx.installDir, WRAPPER_XML),
    wrapperXml({
      nodePath: ctx.nodePath,
      agentScript,
      configFile,
      stateDir: ctx.stateDir,
      logDir: path.join(ctx.stateDir, "logs"),
    }),
  );
  await must(ctx, `${WRAPPER_EXE} install`, wrapper(ctx), ["install"]);
  // The service control manager restarts the wrapper itself too (WinSW restarts the agent).
  await must(ctx, "sc.exe failure", "sc.exe", [
    "failure",
    SERVICE_ID,
    "reset=",
    "86400",
    "actions=",
    "restart/10000/restart/30000/restart/60000",
  ]);
  await must(ctx, "sc.exe failureflag", "sc.exe", ["failureflag", SERVICE_ID, "1"]);
  ctx.out(
    `${SERVICE_NAME} installed: LocalSystem, automatic start, restart on failure; configuration ${configFile}`,
  );
  return 0;
}

async function uninstall(ctx: ServiceContext): Promise<number> {
  if ((await serviceState(ctx)) !== null) {
    await ctx.runner.run(wrapper(ctx), ["stop"]);
    await must(ctx, `${WRAPPER_EXE} uninstall`, wrapper(ctx), ["uninstall"]);
    if ((await serviceState(ctx)) !== null)
      throw new ServiceError(`${SERVICE_NAME} is still registered after uninstall`);
  }
  fs.rmSync(path.join(ctx.installDir, WRAPPER_XML), { force: true });
  const logs = path.join(ctx.stateDir, "logs");
  if (fs.existsSync(logs)) {
    for (const f of fs.readdirSync(logs).filter((n) => n.startsWith("ferry-agent-service."))) {
      fs.rmSync(path.join(logs, f), { force: true });
    }
  }
  // The event source eventcreate registered (absent if never written: the exit code does not matter).
  await ctx.runner.run("reg.exe", ["delete", EVENT_SOURCE_KEY, "/f"]);
  if (ctx.purge) fs.rmSync(ctx.stateDir, { recursive: true, force: true });
  ctx.out(
    ctx.purge
      ? `${SERVICE_NAME} removed, with ${ctx.stateDir}`
      : `${SERVICE_NAME} removed; ${ctx.stateDir} (credential, journal, configuration) kept for a re-install (--purge deletes it)`,
  );
  return 0;
}

export async function runServiceCommand(verb: ServiceVerb, ctx: ServiceContext): Promise<number> {
  if (ctx.platform !== "win32") {
    throw new ServiceError("`ferry-agent service` manages a Windows service: run it on the Hyper-V host");
  }
  switch (verb) {
    case "install":
      return install(ctx);
    case "uninstall":
      return uninstall(ctx);
    case "start": {
      if ((await serviceState(ctx)) === null) throw new ServiceError(`${SERVICE_NAME} is not installed`);
      await must(ctx, `${WRAPPER_EXE} start`, wrapper(ctx), ["start"]);
      ctx.out(`${SERVICE_NAME} started`);
      return 0;
    }
    case "stop": {
      const state = await serviceState(ctx);
      if (state === null || state === "STOPPED") {
        ctx.out(`${SERVICE_NAME} is ${state === null ? "not installed" : "stopped"}`);
        return 0;
      }
      await must(ctx, `${WRAPPER_EXE} stop`, wrapper(ctx), ["stop"]);
      ctx.out(`${SERVICE_NAME} stopped`);
      return 0;
    }
    case "status": {
      const state = await serviceState(ctx);
      ctx.out(`${SERVICE_NAME}: ${state ?? "not installed"}`);
      // As `systemctl status`: 0 running, 3 not running, 4 unknown service.
      return state === "RUNNING" ? 0 : state === null ? 4 : 3;
    }
  }
}
