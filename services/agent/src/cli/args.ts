// The command line: `ferry-agent [run|doctor|service <verb>] [flags]`. Parsing only; main.ts acts.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type AgentFlags, ConfigError } from "../config/load.ts";

export const USAGE = `ferry-agent [run] [--config <ferry-agent.json>] [--api <url>] [--enrollment-token <t>] [flags]
ferry-agent doctor [--config <file>] [flags]        checks this host before enrolling (exit 1 on FAIL)
ferry-agent service install|uninstall|start|stop|status [--config <file>] [--enrollment-token <t>]
                                                    the "Ferry Agent" Windows service (as Administrator)

  --config              configuration file (JSON, see ferry-agent.schema.json); flags override it.
                        Default: $FERRY_AGENT_CONFIG, else %ProgramData%\\Ferry\\ferry-agent.json on Windows if present
  --api                 Ferry API base URL, e.g. https://ferry.example:4000 (comma-separated for replicas)
  --enrollment-token    single-use token from createAgentEnrollment (first start only)
  --state-dir           credential, command journal and logs (default %ProgramData%\\Ferry on Windows, ./.ferry-agent elsewhere)
  --log-level           trace|debug|info|warn|error|fatal|silent (default info)
  --inventory-interval  seconds between periodic inventory reads (default 60; 5 with the simulator)
  --backend             powershell on a Hyper-V host (default), simulator for demos and tests
  --pwsh                PowerShell executable (default powershell.exe on Windows, $NODE_POWERSHELL or pwsh elsewhere)
  --ps-module           extra PowerShell module imported at session start (tests: stub Hyper-V)
  --proxy               HTTP(S) forward proxy for the API, e.g. http://proxy.corp:3128 (http://user:password@host:port)
  --no-proxy            API hosts reached directly, comma-separated (host, .domain, host:port, *)
  --purge               service uninstall: also delete the state folder (credential, journal, logs)
  --sim-world           simulator: world file shared by a simulated fleet (created if absent)
  --sim-host            simulator: which host of the world this agent is
  --sim-seed, --sim-hosts, --sim-time-scale   simulator: a generated world's seed, size and speed
  --version             the agent's version
  --help                this text`;

export type Command =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run" }
  | { kind: "doctor" }
  | { kind: "service"; verb: ServiceVerb };

export const SERVICE_VERBS = ["install", "uninstall", "start", "stop", "status"] as const;
export type ServiceVerb = (typeof SERVICE_VERBS)[number];

export interface ParsedArgs {
  command: Command;
  flags: AgentFlags;
  config?: string;
  purge: boolean;
  sim: { world?: string; host?: string; seed?: number; hosts?: number; timeScale?: number };
}

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${name} must be a positive number`);
  return n;
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string" },
        api: { type: "string" },
        "enrollment-token": { type: "string" },
        "state-dir": { type: "string" },
        "log-level": { type: "string" },
        "inventory-interval": { type: "string" },
        backend: { type: "string" },
        "ps-module": { type: "string" },
        pwsh: { type: "string" },
        proxy: { type: "string" },
        "no-proxy": { type: "string" },
        purge: { type: "boolean" },
        "sim-world": { type: "string" },
        "sim-host": { type: "string" },
        "sim-seed": { type: "string" },
        "sim-hosts": { type: "string" },
        "sim-time-scale": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const s = (name: string) => v[name] as string | undefined;
  const [first, second, ...rest] = parsed.positionals;
  let command: Command;
  if (v.help || first === "help") command = { kind: "help" };
  else if (v.version || first === "version") command = { kind: "version" };
  else if (first === undefined || first === "run") command = { kind: "run" };
  else if (first === "doctor") command = { kind: "doctor" };
  else if (first === "service") {
    if (!SERVICE_VERBS.includes(second as ServiceVerb)) {
      throw new ConfigError(`service needs one of ${SERVICE_VERBS.join(", ")}`);
    }
    command = { kind: "service", verb: second as ServiceVerb };
  } else throw new ConfigError(`unknown command ${first}`);
  if (rest.length || (command.kind !== "service" && second !== undefined)) {
    throw new ConfigError(`unexpected argument ${rest[0] ?? second}`);
  }
  return {
    command,
    config: s("config"),
    purge: v.purge === true,
    flags: {
      api: s("api"),
      enrollmentToken: s("enrollment-token"),
      stateDir: s("state-dir"),
      logLevel: s("log-level"),
      inventoryInterval: s("inventory-interval"),
      pwsh: s("pwsh"),
      psModule: s("ps-module"),
      backend: s("backend"),
      proxy: s("proxy"),
      noProxy: s("no-proxy"),
    },
    sim: {
      world: s("sim-world"),
      host: s("sim-host"),
      seed: positive(s("sim-seed"), "sim-seed"),
      hosts: positive(s("sim-hosts"), "sim-hosts"),
      timeScale: positive(s("sim-time-scale"), "sim-time-scale"),
    },
  };
}

/** --config, else $FERRY_AGENT_CONFIG, else the installed location on Windows when it exists. */
export function configPath(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): string | undefined {
  if (explicit) return explicit;
  if (env.FERRY_AGENT_CONFIG) return env.FERRY_AGENT_CONFIG;
  if (platform === "win32") {
    const installed = path.win32.join(env.ProgramData || "C:\\ProgramData", "Ferry", "ferry-agent.json");
    if (fs.existsSync(installed)) return installed;
  }
  return undefined;
}
