// The agent behind a corporate forward proxy: a real CONNECT proxy (connect-proxy.ts), the real API and
// simulated agents as processes. Through a proxy that wants credentials (given in ferry-agent.json) the
// agent enrolls (HTTP POST) and holds its WebSocket link, both inside CONNECT tunnels, and never prints
// the password; --proxy overrides the file, and a proxy that refuses stops enrollment with an error
// naming the proxy; doctor reports the proxy and tests the API through it.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import {
  AGENT_MAIN,
  enrollmentToken,
  entryArgv,
  type Proc,
  ROOT,
  startProcess,
} from "../helpers/processes.ts";
import { pairWorld } from "../migrations/world.ts";
import { type ConnectProxy, startConnectProxy } from "./connect-proxy.ts";

const exec = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-proxy-"));
const SECRET = "s3cret-proxy-pass";
let api: TestApi;
let apiTarget: string;
let authProxy: ConnectProxy;
let refusingProxy: ConnectProxy;
const procs: Proc[] = [];

beforeAll(async () => {
  SimWorld.openFile(path.join(dir, "world.json"), pairWorld(3));
  [api, authProxy, refusingProxy] = await Promise.all([
    startTestApi(),
    startConnectProxy({ credentials: `ferry:${SECRET}` }),
    startConnectProxy({ refuse: true }),
  ]);
  apiTarget = new URL(api.url).host;
});

afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
  await Promise.all([api?.stop(), authProxy?.close(), refusingProxy?.close()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

const withCredentials = (proxy: ConnectProxy) => `http://ferry:${SECRET}@127.0.0.1:${proxy.port}`;

function configFile(name: string, content: Record<string, unknown>): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(content));
  return file;
}

function agent(host: string, args: string[]): Proc {
  const proc = startProcess(AGENT_MAIN, [
    ...["--backend", "simulator", "--sim-world", path.join(dir, "world.json"), "--sim-host", host],
    ...["--state-dir", path.join(dir, host), ...args],
  ]);
  procs.push(proc);
  return proc;
}

function exited(proc: Proc, timeoutMs = 120_000): Promise<number | null> {
  if (proc.child.exitCode !== null) return Promise.resolve(proc.child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`still running:\n${proc.output().slice(-3000)}`)),
      timeoutMs,
    );
    proc.child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("agent behind a forward proxy", () => {
  it("enrolls and reports inventory through an authenticating proxy set in ferry-agent.json", async () => {
    const config = configFile("ferry-agent.json", {
      apiUrls: [api.url],
      proxy: withCredentials(authProxy),
      noProxy: ["example.invalid"],
    });
    const token = await enrollmentToken(api.url, "HV1", ADMIN_TOKEN);
    const proc = agent("HV1", ["--config", config, "--enrollment-token", token]);
    await eventually(
      async () => {
        const { host } = await api.gqlOk<{
          host: { agent: { connected: boolean }; vms: { totalCount: number } } | null;
        }>('query { host(name: "HV1") { agent { connected } vms(first: 10) { totalCount } } }');
        return host?.agent.connected && host.vms.totalCount === 3;
      },
      180_000,
      "HV1 connected with its 3 VMs",
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\n${proc.output().slice(-4000)}`);
    });
    // Enrollment's POST and the WebSocket upgrade, each in a CONNECT tunnel to the API, with credentials.
    expect(authProxy.tunnels.filter((t) => t === apiTarget).length).toBeGreaterThanOrEqual(2);
    expect(authProxy.requests).toContain("POST /graphql HTTP/1.1");
    expect(authProxy.requests).toContain("GET /graphql HTTP/1.1 (websocket)");
    const expected = `Basic ${Buffer.from(`ferry:${SECRET}`).toString("base64")}`;
    expect(authProxy.authorizations.length).toBeGreaterThanOrEqual(2);
    for (const seen of authProxy.authorizations) expect(seen).toBe(expected);
    // The log names the proxy without its credentials, on stdout and in the log file.
    expect(proc.output()).toContain(`"proxy":"http://***:***@127.0.0.1:${authProxy.port}"`);
    expect(proc.output()).not.toContain(SECRET);
    const logs = path.join(dir, "HV1", "logs");
    for (const file of fs.readdirSync(logs))
      expect(fs.readFileSync(path.join(logs, file), "utf8")).not.toContain(SECRET);
  });

  it("--proxy overrides the file; a proxy that refuses stops enrollment with an error naming it", async () => {
    const config = configFile("ferry-agent-2.json", {
      apiUrls: [api.url],
      proxy: withCredentials(authProxy),
    });
    const before = authProxy.tunnels.length;
    const token = await enrollmentToken(api.url, "HV2", ADMIN_TOKEN);
    const proc = agent("HV2", [
      "--config",
      config,
      "--proxy",
      refusingProxy.url,
      "--enrollment-token",
      token,
    ]);
    expect(await exited(proc)).not.toBe(0);
    expect(proc.output()).toContain(
      `no API replica reachable for enrollment: through proxy ${refusingProxy.url}: the proxy refused the tunnel (HTTP 403)`,
    );
    expect(refusingProxy.authorizations.length).toBeGreaterThanOrEqual(1);
    expect(authProxy.tunnels.length).toBe(before);
  });

  it("a bad proxy URL is named as the field or the flag", async () => {
    const config = configFile("bad.json", { apiUrls: [api.url], proxy: `ftp://ferry:${SECRET}@proxy:21` });
    const fromFile = agent("HV2", ["--config", config]);
    expect(await exited(fromFile)).toBe(2);
    expect(fromFile.output()).toContain(`${config}: proxy: must be an http:// or https:// proxy URL`);
    expect(fromFile.output()).not.toContain(SECRET);
    const fromFlag = agent("HV2", ["--api", api.url, "--proxy", "proxy.corp:3128"]);
    expect(await exited(fromFlag)).toBe(2);
    expect(fromFlag.output()).toContain("--proxy: must be an http:// or https:// proxy URL");
  });

  async function doctor(args: string[]) {
    const argv = [...entryArgv(AGENT_MAIN), "doctor", "--state-dir", path.join(dir, "doctor"), "--api"];
    argv.push(api.url, "--pwsh", path.join(dir, "no-such-pwsh"), ...args);
    try {
      return (await exec(process.execPath, argv, { cwd: ROOT, timeout: 120_000 })).stdout;
    } catch (error) {
      const e = error as { stdout: string; stderr: string };
      return e.stdout + e.stderr;
    }
  }
  const line = (out: string, name: string) =>
    out.split("\n").find((l) => l.slice(6).startsWith(name)) ?? `(no ${name} line)\n${out}`;

  it("doctor reports the proxy and reaches the API through it (credentials redacted)", async () => {
    const before = authProxy.tunnels.length;
    const ok = await doctor(["--proxy", withCredentials(authProxy)]);
    expect(line(ok, "Proxy")).toBe(
      `PASS  Proxy           ${api.url} reached through proxy http://***:***@127.0.0.1:${authProxy.port}`,
    );
    expect(line(ok, "API over TLS")).toMatch(/^WARN .*reachable over plain HTTP/);
    expect(ok).not.toContain(SECRET);
    expect(authProxy.tunnels.length).toBe(before + 1);

    const wrong = await doctor(["--proxy", `http://ferry:wrong@127.0.0.1:${authProxy.port}`]);
    expect(line(wrong, "Proxy")).toMatch(
      new RegExp(
        `^FAIL  Proxy .*not reached through proxy http://\\*\\*\\*:\\*\\*\\*@127.0.0.1:${authProxy.port}.*HTTP 407 Proxy Authentication Required`,
      ),
    );
    expect(wrong).toContain("remedy: check the proxy URL and its credentials");
    expect(wrong).not.toContain("wrong@");

    const none = await doctor([]);
    expect(none).not.toContain("Proxy");
  });
});
