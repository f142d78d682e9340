// The Windows service's install / upgrade / uninstall logic with every Windows command replaced by a
// recording stub: the exact programs and arguments (WinSW wrapper, sc.exe, icacls.exe, reg.exe), the
// WinSW configuration (LocalSystem, automatic start, restart on failure), and what stays on disk.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordingRunner } from "../windows/commands.ts";
import { runServiceCommand, type ServiceContext, serviceConfigFile } from "./service.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-service-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const QUERY_RUNNING =
  "SERVICE_NAME: FerryAgent\n        TYPE               : 10  WIN32_OWN_PROCESS\n        STATE              : 4  RUNNING\n";

/** A fake Windows: sc.exe query answers from `registered`; the wrapper's install/uninstall flip it. */
function windows(name: string, registered = false) {
  const installDir = path.join(root, name, "Program Files", "Ferry Agent");
  const stateDir = path.join(root, name, "ProgramData", "Ferry");
  fs.mkdirSync(installDir, { recursive: true });
  fs.writeFileSync(path.join(installDir, "ferry-agent-service.exe"), "MZ");
  fs.writeFileSync(path.join(installDir, "ferry-agent.js"), "");
  const wrapper = path.join(installDir, "ferry-agent-service.exe");
  const state = { registered };
  const { runner, calls } = recordingRunner((file, args) => {
    if (file === "sc.exe" && args[0] === "query")
      return state.registered ? { stdout: QUERY_RUNNING } : { code: 1060, stdout: "FAILED 1060" };
    if (file === wrapper && args[0] === "install") state.registered = true;
    if (file === wrapper && args[0] === "uninstall") state.registered = false;
    return {};
  });
  const out: string[] = [];
  const ctx = (extra: Partial<ServiceContext> = {}): ServiceContext => ({
    runner,
    platform: "win32",
    installDir,
    nodePath: "C:\\Program Files\\nodejs\\node.exe",
    stateDir,
    flags: {},
    out: (l) => out.push(l),
    ...extra,
  });
  return { installDir, stateDir, wrapper, calls, out, ctx, state };
}

const ICACLS = (dir: string) => ({
  file: "icacls.exe",
  args: [dir, "/inheritance:r", "/grant:r", "*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"],
});
const FAILURE_ACTIONS = [
  {
    file: "sc.exe",
    args: [
      "failure",
      "FerryAgent",
      "reset=",
      "86400",
      "actions=",
      "restart/10000/restart/30000/restart/60000",
    ],
  },
  { file: "sc.exe", args: ["failureflag", "FerryAgent", "1"] },
];

describe("ferry-agent service", () => {
  it("install: ACL for SYSTEM and Administrators only, WinSW registration, SCM restart actions; exact commands", async () => {
    const w = windows("fresh");
    const code = await runServiceCommand(
      "install",
      w.ctx({ flags: { api: "https://ferry.example:4000", enrollmentToken: "tok-1" } }),
    );
    expect(code).toBe(0);
    expect(w.calls).toEqual([
      ICACLS(w.stateDir),
      { file: "sc.exe", args: ["query", "FerryAgent"] },
      { file: w.wrapper, args: ["install"] },
      ...FAILURE_ACTIONS,
    ]);
    const xml = fs.readFileSync(path.join(w.installDir, "ferry-agent-service.xml"), "utf8");
    expect(xml).toContain("<id>FerryAgent</id>");
    expect(xml).toContain("<name>Ferry Agent</name>");
    expect(xml).toContain("<startmode>Automatic</startmode>");
    expect(xml).toContain('<onfailure action="restart" delay="10 sec"/>');
    expect(xml).not.toContain("serviceaccount"); // LocalSystem
    expect(xml).toContain("<executable>C:\\Program Files\\nodejs\\node.exe</executable>");
    const configFile = serviceConfigFile(w.stateDir);
    expect(xml).toContain(
      `<arguments>&quot;${path.join(w.installDir, "ferry-agent.js")}&quot; run --config &quot;${configFile}&quot;</arguments>`,
    );
    // Enrollment on first start: the token is in the (ACL-protected) configuration the service reads.
    expect(JSON.parse(fs.readFileSync(configFile, "utf8"))).toEqual({
      apiUrls: ["https://ferry.example:4000"],
      enrollmentToken: "tok-1",
      stateDir: w.stateDir,
    });
  });

  it("install over an installed service (upgrade) replaces the registration and keeps state and configuration", async () => {
    const w = windows("upgrade", true);
    fs.mkdirSync(w.stateDir, { recursive: true });
    const configFile = serviceConfigFile(w.stateDir);
    fs.writeFileSync(
      configFile,
      JSON.stringify({ apiUrls: ["https://a:4000"], logLevel: "debug", stateDir: w.stateDir }),
    );
    fs.writeFileSync(path.join(w.stateDir, "credential.json"), '{"secret":"s"}');
    fs.writeFileSync(path.join(w.stateDir, "journal.json"), "[]");
    await runServiceCommand("install", w.ctx());
    expect(w.calls).toEqual([
      ICACLS(w.stateDir),
      { file: "sc.exe", args: ["query", "FerryAgent"] },
      { file: w.wrapper, args: ["stop"] },
      { file: w.wrapper, args: ["uninstall"] },
      { file: w.wrapper, args: ["install"] },
      ...FAILURE_ACTIONS,
    ]);
    expect(JSON.parse(fs.readFileSync(configFile, "utf8"))).toEqual({
      apiUrls: ["https://a:4000"],
      logLevel: "debug",
      stateDir: w.stateDir,
    });
    expect(fs.readFileSync(path.join(w.stateDir, "credential.json"), "utf8")).toBe('{"secret":"s"}');
    expect(fs.existsSync(path.join(w.stateDir, "journal.json"))).toBe(true);
  });

  it("start, stop, status", async () => {
    const w = windows("control", true);
    expect(await runServiceCommand("start", w.ctx())).toBe(0);
    expect(await runServiceCommand("stop", w.ctx())).toBe(0);
    expect(await runServiceCommand("status", w.ctx())).toBe(0);
    expect(w.calls).toEqual([
      { file: "sc.exe", args: ["query", "FerryAgent"] },
      { file: w.wrapper, args: ["start"] },
      { file: "sc.exe", args: ["query", "FerryAgent"] },
      { file: w.wrapper, args: ["stop"] },
      { file: "sc.exe", args: ["query", "FerryAgent"] },
    ]);
    expect(w.out.at(-1)).toBe("Ferry Agent: RUNNING");
    w.state.registered = false;
    expect(await runServiceCommand("status", w.ctx())).toBe(4);
    expect(w.out.at(-1)).toBe("Ferry Agent: not installed");
    await expect(runServiceCommand("start", w.ctx())).rejects.toThrow("Ferry Agent is not installed");
  });

  it("uninstall leaves no service, wrapper configuration or event source; the state stays unless --purge", async () => {
    const w = windows("remove");
    await runServiceCommand("install", w.ctx({ flags: { api: "https://a:4000" } }));
    fs.writeFileSync(path.join(w.stateDir, "logs", "ferry-agent-service.wrapper.log"), "x");
    fs.writeFileSync(path.join(w.stateDir, "credential.json"), "{}");
    w.calls.length = 0;
    await runServiceCommand("uninstall", w.ctx());
    const source = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\Ferry Agent";
    expect(w.calls).toEqual([
      { file: "sc.exe", args: ["query", "FerryAgent"] },
      { file: w.wrapper, args: ["stop"] },
      { file: w.wrapper, args: ["uninstall"] },
      { file: "sc.exe", args: ["query", "FerryAgent"] },
      { file: "reg.exe", args: ["delete", source, "/f"] },
    ]);
    expect(w.state.registered).toBe(false);
    expect(fs.existsSync(path.join(w.installDir, "ferry-agent-service.xml"))).toBe(false);
    expect(fs.readdirSync(path.join(w.stateDir, "logs"))).toEqual([]);
    expect(fs.existsSync(path.join(w.stateDir, "credential.json"))).toBe(true);
    await runServiceCommand("uninstall", w.ctx({ purge: true }));
    expect(fs.existsSync(w.stateDir)).toBe(false);
  });

  it("a failing command stops the install with its output; elsewhere than Windows it refuses", async () => {
    const w = windows("denied");
    const { runner } = recordingRunner((file) =>
      file === "icacls.exe" ? { code: 5, stderr: "Access is denied." } : {},
    );
    await expect(
      runServiceCommand("install", w.ctx({ runner, flags: { api: "https://a" } })),
    ).rejects.toThrow("icacls (state folder ACL) failed (exit 5): Access is denied.");
    await expect(runServiceCommand("status", w.ctx({ platform: "linux" }))).rejects.toThrow(
      "Windows service",
    );
  });
});
