// `ferry-agent doctor`: gathers the facts (doctor.ps1 in the configured PowerShell, one request to the
// API, the state folder) and prints each check with PASS / WARN / FAIL and a remedy. Exit 1 on a FAIL.
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_SCRIPTS_DIR } from "../backends/powershell/index.ts";
import { parseEnvelope } from "../backends/powershell/parse.ts";
import { isWindowsPowerShell } from "../backends/powershell/session.ts";
import { type ApiTransport, ProxyError, usesProxy } from "../link/proxy.ts";
import type { CommandRunner } from "../windows/commands.ts";
import {
  type ApiFacts,
  type CheckResult,
  checkAdmin,
  checkApi,
  checkClock,
  checkHyperVModule,
  checkNode,
  checkPowerShell,
  checkProxy,
  checkStateDir,
  checkVmms,
  formatResults,
  type PowerShellFacts,
  type StateDirFacts,
} from "./checks.ts";

export interface DoctorOptions {
  runner: CommandRunner;
  platform: NodeJS.Platform;
  powershell: string;
  psModule?: string;
  apiUrls: string[];
  stateDir: string;
  nodeVersion?: string;
  uid?: number;
  fetch?: typeof fetch;
  /** The forward proxy, if any: the API is probed through it and a Proxy line is printed. */
  transport?: ApiTransport;
  noProxy?: string[];
  proxy?: string;
  now?: () => number;
  scriptsDir?: string;
}

export async function probePowerShell(
  options: DoctorOptions,
): Promise<{ facts: PowerShellFacts | null; error?: string }> {
  const params = { ModulePath: options.psModule ?? null, StateDir: path.resolve(options.stateDir) };
  const args = ["-NoLogo", "-NoProfile", "-NonInteractive"];
  if (options.platform === "win32" || isWindowsPowerShell(options.powershell))
    args.push("-ExecutionPolicy", "Bypass");
  args.push(
    "-File",
    path.join(options.scriptsDir ?? DEFAULT_SCRIPTS_DIR, "doctor.ps1"),
    Buffer.from(JSON.stringify(params), "utf8").toString("base64"),
  );
  const result = await options.runner.run(options.powershell, args);
  const envelope = parseEnvelope(result.stdout);
  if (!envelope)
    return {
      facts: null,
      error: (result.stderr || result.stdout).trim().slice(0, 300) || `exit ${result.code}`,
    };
  if (!envelope.ok) return { facts: null, error: envelope.error.message ?? "doctor.ps1 failed" };
  return { facts: envelope.data as PowerShellFacts };
}

export async function probeApi(
  url: string,
  options: Pick<DoctorOptions, "fetch" | "now">,
): Promise<ApiFacts> {
  const now = options.now ?? Date.now;
  const started = now();
  try {
    const response = await (options.fetch ?? fetch)(new URL("/readyz", url), {
      signal: AbortSignal.timeout(10_000),
    });
    const ended = now();
    const date = response.headers.get("date");
    const facts: ApiFacts = { url, status: response.status };
    if (date && !Number.isNaN(Date.parse(date))) facts.skewMs = Date.parse(date) - (started + ended) / 2;
    await response.body?.cancel();
    return facts;
  } catch (error) {
    if (error instanceof ProxyError)
      return { url, status: null, errorCode: "PROXY", errorMessage: error.message };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      url,
      status: null,
      errorCode: cause?.code ?? (error as { name?: string }).name,
      errorMessage: cause?.message ?? (error as Error).message,
    };
  }
}

export function probeStateDir(dir: string, platform: NodeJS.Platform): StateDirFacts {
  const facts: StateDirFacts = { path: path.resolve(dir), exists: fs.existsSync(dir), writable: false };
  if (!facts.exists) return facts;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    facts.writable = true;
  } catch {
    facts.writable = false;
  }
  if (platform !== "win32") facts.mode = fs.statSync(dir).mode;
  return facts;
}

export async function runDoctor(
  options: DoctorOptions,
): Promise<{ results: CheckResult[]; exitCode: number; text: string }> {
  const [ps, api] = await Promise.all([
    probePowerShell(options),
    options.apiUrls[0]
      ? probeApi(options.apiUrls[0], { now: options.now, fetch: options.fetch ?? options.transport?.fetch })
      : Promise.resolve(null),
  ]);
  const proxy = options.transport?.describe();
  const proxyResult = proxy
    ? [
        checkProxy(
          {
            proxy,
            usedForApi: options.apiUrls[0]
              ? usesProxy(options.apiUrls[0], { proxy: options.proxy ?? proxy, noProxy: options.noProxy })
              : true,
          },
          api,
        ),
      ]
    : [];
  const results = [
    checkNode(options.nodeVersion ?? process.version),
    checkPowerShell(options.powershell, ps.facts, ps.error),
    checkHyperVModule(ps.facts),
    checkVmms(ps.facts),
    checkAdmin(ps.facts, options.uid),
    ...proxyResult,
    checkApi(api),
    checkClock(api),
    checkStateDir(probeStateDir(options.stateDir, options.platform), ps.facts),
  ];
  return {
    results,
    exitCode: results.some((r) => r.outcome === "FAIL") ? 1 : 0,
    text: formatResults(results),
  };
}
