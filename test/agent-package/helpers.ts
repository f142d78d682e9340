// The agent package as an admin gets it: built by the real packaging step, unpacked with no repository
// around it (os.tmpdir), run with plain `node ferry-agent.js` (no tsx, no node_modules).
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { type Proc, ROOT } from "../helpers/processes.ts";

const exec = promisify(execFile);
export const AGENT_DIR = path.join(ROOT, "services/agent");
export const VERSION = (
  JSON.parse(fs.readFileSync(path.join(AGENT_DIR, "package.json"), "utf8")) as { version: string }
).version;

/** `npm run package -w @ferry/agent` exactly as documented; returns the zip's path. */
export async function npmRunPackage(): Promise<string> {
  await exec("npm", ["run", "package", "-w", "@ferry/agent"], {
    cwd: ROOT,
    env: { ...process.env },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 280_000,
  });
  return path.join(AGENT_DIR, "dist", `ferry-agent-${VERSION}.zip`);
}

/** The same packaging step with another version number, into `out` (an upgrade test's "newer package"). */
export async function packageVersion(version: string, out: string): Promise<string> {
  await exec(
    process.execPath,
    ["--import", "tsx", "scripts/package.ts", "--version", version, "--out", out],
    {
      cwd: AGENT_DIR,
      timeout: 280_000,
    },
  );
  return path.join(out, `ferry-agent-${version}.zip`);
}

/** Unpacks into a new empty folder under os.tmpdir(); returns it. */
export function unpack(zipPath: string, prefix = "ferry-agent-unpacked-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, data] of Object.entries(unzipSync(new Uint8Array(fs.readFileSync(zipPath))))) {
    if (name.endsWith("/")) continue;
    const target = path.join(dir, name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, data);
  }
  return dir;
}

/** The environment of a host: nothing from the repository's Node setup leaks in. */
export function hostEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return env;
}

/** `node ferry-agent.js <args>` in the unpacked folder, to completion. */
export async function runPackaged(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ["ferry-agent.js", ...args], {
      cwd: dir,
      env: hostEnv(env),
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The packaged agent as a long-running process. */
export function startPackaged(dir: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ["ferry-agent.js", ...args], {
    cwd: dir,
    env: hostEnv(env),
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
          reject(new Error(`packaged agent did not stop within 15 s:\n${out.slice(-4000)}`));
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
