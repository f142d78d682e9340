// Real processes for end-to-end tests: the API and agents exactly as users start them.
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { ADMIN_TOKEN } from "./api.ts";

export const ROOT = path.resolve(import.meta.dirname, "../..");
export const API_MAIN = path.join(ROOT, "services/api/src/main.ts");
export const AGENT_MAIN = path.join(ROOT, "services/agent/src/main.ts");
const BUNDLE_OF: Record<string, "api" | "agent"> = { [API_MAIN]: "api", [AGENT_MAIN]: "agent" };

/**
 * The agents' reconnect delay cap in tests (production: 30 s). With the default, an agent whose API
 * restarted waited up to ~16 s more after the API was back (0.5 s doubling with ±50 % jitter), which
 * made tests that restart the API vary by 20 s from run to run.
 */
export const RECONNECT_CAP_MS = 1000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Proc {
  child: ChildProcess;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** SIGTERM (or `signal`), resolves with the exit code; SIGKILL and an error after 15 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Node's arguments before the program's own that run `script`: its bundle when there is one, else tsx. */
export function entryArgv(script: string, bundle: "api" | "agent" | undefined = BUNDLE_OF[script]): string[] {
  const bundled = bundle && process.env.FERRY_TEST_BUNDLES;
  return bundled ? [path.join(bundled, `${bundle}.mjs`)] : ["--import", "tsx", script];
}

/**
 * `script` run with tsx, or its bundle (test/helpers/bundles.ts: the same code, bundled once per run)
 * when there is one: API_MAIN and AGENT_MAIN have (a start through tsx cost ~15 s of CPU, the bundle ~8).
 */
export function startProcess(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  bundle: "api" | "agent" | undefined = BUNDLE_OF[script],
): Proc {
  const child = spawn(process.execPath, [...entryArgv(script, bundle), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  return {
    child,
    output: () => out,
    stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`process did not stop within 15 s after ${signal}:\n${out.slice(-4000)}`));
        }, 15_000);
        child.once("exit", (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill(signal);
      });
    },
  };
}

// A ceiling, not a budget: a loaded 2-core machine took more than 60 s to start the API process (fleet and faults e2e).
export async function waitForReady(url: string, proc: Proc, timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`process exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms:\n${proc.output()}`);
}

/**
 * A simulated agent as its own process: host `host` of the world file in `dir`, state in `dir/<host>`.
 * `api` may list several replicas (comma-separated); `token` enrolls it the first time; `env` adds
 * to its environment (e.g. a failpoint). Its reconnect delay is capped like the in-process fleet's
 * (RECONNECT_CAP_MS), so it is back promptly after a test restarts its API.
 */
export function startSimulatedAgent(
  api: string,
  dir: string,
  host: string,
  token?: string,
  env: Record<string, string> = {},
): Proc {
  const args = ["--api", api, "--backend", "simulator", "--sim-world", path.join(dir, "world.json")];
  args.push("--sim-host", host, "--state-dir", path.join(dir, host));
  const withCap = { FERRY_AGENT_MAX_RECONNECT_DELAY_MS: String(RECONNECT_CAP_MS), ...env };
  return startProcess(AGENT_MAIN, token ? [...args, "--enrollment-token", token] : args, withCap, "agent");
}

export interface ApiProcess {
  url: string;
  port: number;
  proc: Proc;
}

/**
 * The API as its own process on loopback, with the tests' admin token, on `port` (default: a free
 * one). `env` adds to or overrides its settings (database, Redis, replica id, timeouts). Not yet
 * ready when this returns: `await waitForReady(api.url, api.proc)`.
 */
export async function startApiProcess(env: Record<string, string>, port?: number): Promise<ApiProcess> {
  const listen = port ?? (await freePort());
  const proc = startProcess(
    API_MAIN,
    [],
    {
      PORT: String(listen),
      HOST: "127.0.0.1",
      FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
      FERRY_LOG_LEVEL: process.env.FERRY_TEST_LOG ?? "warn",
      ...env,
    },
    "api",
  );
  return { url: `http://127.0.0.1:${listen}`, port: listen, proc };
}

/** A single-use enrollment token for `host`, created through the API with the admin token. */
export async function enrollmentToken(apiUrl: string, host: string, adminToken: string): Promise<string> {
  const response = await fetch(`${apiUrl}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({
      query:
        "mutation($h: String!) { createAgentEnrollment(input: {hostName: $h}) { token errors { message } } }",
      variables: { h: host },
    }),
  });
  const body = (await response.json()) as { data?: { createAgentEnrollment?: { token: string | null } } };
  const token = body.data?.createAgentEnrollment?.token;
  if (!token) throw new Error(`createAgentEnrollment(${host}) failed: ${JSON.stringify(body)}`);
  return token;
}
