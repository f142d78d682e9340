// Issue 10 item 5, the newcomer path: `npm start` shows progress while it builds, the demo listens
// on loopback unless HOST says otherwise, and the admin token never appears on a process command line
// (before, the demo started its fleet as `fleet.ts --admin-token <token>`, readable by every local user).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, gqlOk } from "../helpers/api.ts";
import { ROOT } from "../helpers/processes.ts";

const run = promisify(execFile);
const TOKEN = `demo-admin-${Math.random().toString(36).slice(2)}-secret`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-demo-"));
let demo: ChildProcess | null = null;
let output = "";

afterAll(async () => {
  if (demo && demo.exitCode === null) {
    demo.kill("SIGKILL");
    await new Promise((r) => demo?.once("exit", r));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** Command lines of every process this user can see. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      lines.push(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" "));
    } catch {
      // gone, or not ours to read
    }
  }
  return lines;
}

/** Local addresses (hex, as in /proc/net/tcp) listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const found: string[] = [];
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n").slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === "0A" && local?.endsWith(`:${hexPort}`)) found.push(local.split(":")[0]!);
    }
  }
  return found;
}

describe("npm start", () => {
  it("shows each build task's output while it builds (not errors only)", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      scripts: { start: string };
    };
    const build = pkg.scripts.start.split("&&")[0]!.trim().split(/\s+/);
    expect(build[0]).toBe("turbo");
    // The start script's own build command, on one small package and without the cache.
    const { stdout } = await run("npx", [...build, "--filter=@ferry/protocol", "--force"], {
      cwd: ROOT,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
      maxBuffer: 10 * 1024 * 1024,
    });
    expect(stdout).toMatch(/@ferry\/protocol:build: .*executing/);
    // npm's line announcing the package's build script: the task's own output is shown as it runs.
    expect(stdout).toMatch(/@ferry\/protocol:build: > @ferry\/protocol@[\d.]+ build/);
  }, 180_000);

  it.skipIf(process.platform !== "linux")(
    "listens on loopback, and no command line holds the admin token",
    async () => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined && !["DATABASE_URL", "REDIS_URL", "HOST", "PORT"].includes(k)) env[k] = v;
      }
      demo = spawn(process.execPath, ["--import", "tsx", "demo/start.ts"], {
        cwd: ROOT,
        env: {
          ...env,
          PORT: "0",
          FERRY_ADMIN_TOKEN: TOKEN,
          FERRY_DATA_DIR: dataDir,
          FERRY_DEMO_HOSTS: "1",
          FERRY_DEMO_TIME_SCALE: "50",
          FERRY_LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      demo.stdout?.on("data", (d) => (output += d));
      demo.stderr?.on("data", (d) => (output += d));
      const url = await eventually(
        async () => /GraphiQL:\s+(\S+)\/graphql/.exec(output)?.[1],
        // A ceiling: a new install (initdb in WASM) through tsx took more than 200 s at load 16-17.
        420_000,
        "the demo to print its GraphiQL URL",
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output}`);
      });
      expect(new URL(url).hostname).toBe("127.0.0.1");
      const port = Number(new URL(url).port);
      // 0100007F is 127.0.0.1 in /proc/net/tcp; 0.0.0.0 would be 00000000.
      expect(listeners(port)).toEqual(["0100007F"]);
      // The fleet runs: its simulated host is connected.
      await eventually(async () => {
        const data = await gqlOk<{ hosts: { totalCount: number } }>(
          url,
          "{ hosts(filter: {connected: true}) { totalCount } }",
          {},
          TOKEN,
        );
        return data.hosts.totalCount === 1;
      }, 180_000);
      expect(commandLines().filter((line) => line.includes(TOKEN))).toEqual([]);
      // The console the demo prints is served (README "Console").
      expect(output).toContain(`Console:      ${url}/ui/`);
      expect((await fetch(`${url}/ui/`)).status).toBe(200);
      demo.kill("SIGTERM");
      const code = await new Promise((r) => demo?.once("exit", r));
      expect(code).toBe(0);
    },
    720_000,
  );
});
