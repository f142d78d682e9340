// Reads ferry-agent.json and merges it with the command line: flags win, then the file, then the
// defaults for this platform. Errors name the file and the field ("ferry-agent.json: logLevel: ...").
import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { type AgentConfigFile, agentConfigSchema } from "./schema.ts";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** One line per problem: `<file>: <field path>: <message>`. */
export function describeIssues(file: string, issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
      const keys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
      return `${file}: ${field}: ${issue.message}${keys}`;
    })
    .join("\n");
}

/** Parses and validates a configuration file; throws ConfigError naming the file and field. */
export function readConfigFile(file: string): AgentConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let json: unknown;
  try {
    // Windows editors (Notepad) may save a byte order mark.
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const parsed = agentConfigSchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(describeIssues(file, parsed.error.issues));
  return parsed.data;
}

/** The flags that override the file (undefined = not given). */
export interface AgentFlags {
  api?: string;
  enrollmentToken?: string;
  stateDir?: string;
  logLevel?: string;
  inventoryInterval?: string;
  pwsh?: string;
  psModule?: string;
  backend?: string;
  proxy?: string;
  noProxy?: string;
}

export interface AgentSettings {
  apiUrls: string[];
  enrollmentToken?: string;
  stateDir: string;
  logLevel: NonNullable<AgentConfigFile["logLevel"]>;
  inventoryIntervalMs: number;
  powershell: string;
  psModule?: string;
  backend: "powershell" | "simulator";
  /** Forward proxy URL (may hold credentials: print it only through redactUrl). */
  proxy?: string;
  noProxy: string[];
  /** The configuration file read, if any. */
  configFile?: string;
}

export interface Platform {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

/** Windows PowerShell 5.1 on Windows (every Windows Server has it); PowerShell 7 elsewhere. */
export function defaultPowerShell({ platform, env }: Platform): string {
  if (platform === "win32") return "powershell.exe";
  return env.NODE_POWERSHELL || "pwsh";
}

export function defaultStateDir({ platform, env }: Platform): string {
  if (platform === "win32") return path.win32.join(env.ProgramData || "C:\\ProgramData", "Ferry");
  return "./.ferry-agent";
}

/**
 * Seconds between periodic inventory reads on a Hyper-V host: a 200-VM read takes seconds of the one
 * PowerShell session (bench/agent-inventory.ts); changes reach the API sooner through the reads after
 * Hyper-V events, after the agent's own commands and on every reconnect. The simulator reads for free.
 */
export const DEFAULT_INVENTORY_INTERVAL_S = 60;
export const SIMULATOR_INVENTORY_INTERVAL_S = 5;

/** Flags over the file over the defaults; throws ConfigError (naming the flag or field) on bad values. */
export function resolveSettings(
  flags: AgentFlags,
  file: AgentConfigFile | undefined,
  host: Platform,
  configFile?: string,
  requireApi = true,
): AgentSettings {
  // A flag is checked with the same schema as the file, so both give the same message.
  const fromFlags: Record<string, unknown> = {};
  if (flags.api !== undefined)
    fromFlags.apiUrls = flags.api
      .split(",")
      .map((u) => u.trim())
      .filter(Boolean);
  if (flags.enrollmentToken !== undefined) fromFlags.enrollmentToken = flags.enrollmentToken;
  if (flags.stateDir !== undefined) fromFlags.stateDir = flags.stateDir;
  if (flags.logLevel !== undefined) fromFlags.logLevel = flags.logLevel;
  if (flags.inventoryInterval !== undefined)
    fromFlags.inventoryIntervalSeconds = Number(flags.inventoryInterval);
  if (flags.pwsh !== undefined) fromFlags.powershell = flags.pwsh;
  if (flags.psModule !== undefined) fromFlags.psModule = flags.psModule;
  if (flags.backend !== undefined) fromFlags.backend = flags.backend;
  if (flags.proxy !== undefined) fromFlags.proxy = flags.proxy;
  if (flags.noProxy !== undefined)
    fromFlags.noProxy = flags.noProxy
      .split(",")
      .map((h) => h.trim())
      .filter(Boolean);
  const checked = agentConfigSchema.partial().safeParse(fromFlags);
  if (!checked.success) {
    const names: Record<string, string> = {
      apiUrls: "--api",
      enrollmentToken: "--enrollment-token",
      stateDir: "--state-dir",
      logLevel: "--log-level",
      inventoryIntervalSeconds: "--inventory-interval",
      powershell: "--pwsh",
      psModule: "--ps-module",
      backend: "--backend",
      proxy: "--proxy",
      noProxy: "--no-proxy",
    };
    const issue = checked.error.issues[0]!;
    const flag = names[String(issue.path[0])] ?? String(issue.path[0]);
    throw new ConfigError(`${flag}: ${issue.message}`);
  }
  const merged = { ...file, ...checked.data };
  if (requireApi && !merged.apiUrls?.length) {
    throw new ConfigError(
      "no API URL: pass --api <url> or set apiUrls in the configuration file (--config <ferry-agent.json>)",
    );
  }
  const base = configFile ? path.dirname(path.resolve(configFile)) : process.cwd();
  // Relative paths in the file are relative to the file (a service's working directory is System32).
  const fromFile = (value: string | undefined, flagGiven: boolean) =>
    value === undefined || flagGiven ? value : path.resolve(base, value);
  return {
    apiUrls: merged.apiUrls ?? [],
    enrollmentToken: merged.enrollmentToken,
    stateDir: fromFile(merged.stateDir, flags.stateDir !== undefined) ?? defaultStateDir(host),
    logLevel: merged.logLevel ?? "info",
    inventoryIntervalMs:
      (merged.inventoryIntervalSeconds ??
        (merged.backend === "simulator" ? SIMULATOR_INVENTORY_INTERVAL_S : DEFAULT_INVENTORY_INTERVAL_S)) *
      1000,
    powershell: merged.powershell ?? defaultPowerShell(host),
    // Import-Module takes a relative path for a module name: always absolute.
    psModule:
      merged.psModule === undefined
        ? undefined
        : path.resolve(flags.psModule !== undefined ? process.cwd() : base, merged.psModule),
    backend: merged.backend ?? "powershell",
    proxy: merged.proxy,
    noProxy: merged.noProxy ?? [],
    configFile,
  };
}
