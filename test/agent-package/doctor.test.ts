// `ferry-agent doctor` as a process, against real PowerShell with the stub Hyper-V module and small local
// HTTP(S) servers standing in for the API: TLS trust (a self-signed certificate fails, and passes once
// NODE_EXTRA_CA_CERTS names it), clock skew from the Date header, a missing PowerShell; exit 1 on FAIL.
import { execFile, execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_MAIN, entryArgv, ROOT } from "../helpers/processes.ts";
import { pwshOrSkipReason, STUB_MODULE } from "../helpers/pwsh.ts";

const exec = promisify(execFile);
const { pwsh, skip } = pwshOrSkipReason("the doctor tests");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-doctor-"));
const servers: http.Server[] = [];

function listen(server: http.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
}

/** Answers /readyz like the API, with a Date header `offsetMs` away from now. */
function handler(offsetMs: number) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader("date", new Date(Date.now() + offsetMs).toUTCString());
    res.end("ok");
  };
}

async function doctor(args: string[], env: Record<string, string> = {}) {
  const stateDir = path.join(dir, "state");
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const argv = [
    ...entryArgv(AGENT_MAIN),
    "doctor",
    "--state-dir",
    stateDir,
    "--ps-module",
    STUB_MODULE,
    ...args,
  ];
  try {
    const { stdout } = await exec(process.execPath, argv, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

const line = (out: string, name: string) =>
  out.split("\n").find((l) => l.slice(6).startsWith(name)) ?? `(no ${name} line)\n${out}`;

let plainPort: number;
let skewedPort: number;
let tlsPort: number;
let caFile: string;

beforeAll(async () => {
  plainPort = await listen(http.createServer(handler(0)));
  skewedPort = await listen(http.createServer(handler(10 * 60_000)));
  caFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
      ...[
        "-keyout",
        keyFile,
        "-out",
        caFile,
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
    ],
    { stdio: "ignore" },
  );
  tlsPort = await listen(
    https.createServer(
      { key: fs.readFileSync(keyFile), cert: fs.readFileSync(caFile) },
      handler(0),
    ) as unknown as http.Server,
  );
});

afterAll(() => {
  for (const s of servers) s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(skip)("ferry-agent doctor", () => {
  it("passes PowerShell and the Hyper-V module, warns on plain HTTP, exit 0 without a FAIL", async () => {
    const { code, out } = await doctor(["--pwsh", pwsh!, "--api", `http://127.0.0.1:${plainPort}`]);
    expect(line(out, "PowerShell")).toMatch(
      /^PASS {2}PowerShell +7\.\d+\.\d+ Core \(.*pwsh\), FullLanguage$/,
    );
    expect(line(out, "Hyper-V module")).toMatch(/^PASS .*FerryHyperVStub\.psm1 loaded, Get-VM available$/);
    expect(line(out, "vmms service")).toMatch(/^WARN .*not a Windows host/);
    expect(line(out, "API over TLS")).toMatch(/^WARN .*plain HTTP/);
    expect(line(out, "Clock skew")).toMatch(/^PASS .*[+-]\d s against the API$/);
    expect(line(out, "State folder")).toMatch(/^PASS /);
    expect(out).toMatch(/doctor: \d PASS, \d WARN, 0 FAIL/);
    expect(code).toBe(0);
  });

  it("fails an untrusted certificate (exit 1) and passes it once Node.js is given the CA", async () => {
    const api = ["--pwsh", pwsh!, "--api", `https://127.0.0.1:${tlsPort}`];
    const untrusted = await doctor(api);
    expect(line(untrusted.out, "API over TLS")).toMatch(
      /^FAIL .*certificate not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)$/,
    );
    expect(untrusted.out).toContain("remedy: give Node.js the issuing CA: set NODE_EXTRA_CA_CERTS");
    expect(untrusted.code).toBe(1);
    const trusted = await doctor(api, { NODE_EXTRA_CA_CERTS: caFile });
    expect(line(trusted.out, "API over TLS")).toMatch(/^PASS .*reachable, certificate trusted$/);
    expect(trusted.code).toBe(0);
  });

  it("fails a clock 10 minutes off the API's and a PowerShell that does not start", async () => {
    const skewed = await doctor(["--pwsh", pwsh!, "--api", `http://127.0.0.1:${skewedPort}`]);
    expect(line(skewed.out, "Clock skew")).toMatch(/^FAIL .*\+(599|600|601) s against the API$/);
    expect(skewed.out).toContain("remedy: w32tm /resync");
    expect(skewed.code).toBe(1);
    const missing = await doctor([
      "--pwsh",
      path.join(dir, "no-such-pwsh"),
      "--api",
      `http://127.0.0.1:${plainPort}`,
    ]);
    expect(line(missing.out, "PowerShell")).toMatch(/^FAIL .*no-such-pwsh did not run: .*ENOENT/);
    expect(line(missing.out, "Hyper-V module")).toMatch(/^FAIL /);
    expect(missing.code).toBe(1);
  });
});
