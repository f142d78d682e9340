// ferry-agent.json: validation errors name the file and field, flags override the file, the platform
// picks the PowerShell default, and the shipped JSON schema and sample are the ones the code accepts.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, readConfigFile, resolveSettings } from "./load.ts";
import { agentConfigJsonSchema } from "./schema.ts";

const AGENT_DIR = path.resolve(import.meta.dirname, "../..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-config-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const linux = { platform: "linux" as const, env: {} };
const windows = { platform: "win32" as const, env: { ProgramData: "D:\\PD" } };

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
  return file;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("no error");
}

describe("ferry-agent.json", () => {
  it("names the file and each bad field", () => {
    const file = write("bad.json", {
      apiUrls: ["ftp://x"],
      logLevel: "loud",
      inventoryIntervalSeconds: 0,
      colour: "blue",
    });
    const message = errorOf(() => readConfigFile(file));
    expect(message).toContain(`${file}: apiUrls.0: must be an http:// or https:// URL`);
    expect(message).toMatch(new RegExp(`${file.replace(/[.\\]/g, "\\$&")}: logLevel: .*"info"`));
    expect(message).toContain(`${file}: inventoryIntervalSeconds: `);
    expect(message).toContain("(colour)");
  });

  it("says when the file is not JSON or missing, and accepts a byte order mark", () => {
    expect(errorOf(() => readConfigFile(write("broken.json", "{ apiUrls: ")))).toContain("not valid JSON");
    expect(errorOf(() => readConfigFile(path.join(dir, "absent.json")))).toContain("cannot be read (ENOENT)");
    const bom = write("bom.json", `\uFEFF${JSON.stringify({ apiUrls: ["http://a:1"] })}`);
    expect(readConfigFile(bom).apiUrls).toEqual(["http://a:1"]);
  });

  it("flags override the file; paths in the file are relative to it", () => {
    const file = write("ok.json", {
      apiUrls: ["https://a:4000"],
      logLevel: "warn",
      powershell: "C:\\pwsh7\\pwsh.exe",
      stateDir: "state",
      inventoryIntervalSeconds: 30,
    });
    const config = readConfigFile(file);
    const fromFile = resolveSettings({}, config, windows, file);
    expect(fromFile).toMatchObject({
      apiUrls: ["https://a:4000"],
      logLevel: "warn",
      powershell: "C:\\pwsh7\\pwsh.exe",
      stateDir: path.join(dir, "state"),
      inventoryIntervalMs: 30_000,
    });
    const flagged = resolveSettings(
      {
        api: "http://b:1, http://c:2",
        logLevel: "debug",
        pwsh: "pwsh",
        stateDir: "s2",
        inventoryInterval: "7",
      },
      config,
      windows,
      file,
    );
    expect(flagged).toMatchObject({
      apiUrls: ["http://b:1", "http://c:2"],
      logLevel: "debug",
      powershell: "pwsh",
      stateDir: "s2",
      inventoryIntervalMs: 7000,
    });
  });

  it("a bad flag is named as the flag", () => {
    expect(errorOf(() => resolveSettings({ api: "x" }, undefined, linux))).toMatch(/^--api: /);
    expect(errorOf(() => resolveSettings({ api: "http://a", logLevel: "x" }, undefined, linux))).toMatch(
      /^--log-level: /,
    );
    expect(errorOf(() => resolveSettings({}, undefined, linux))).toContain("no API URL");
  });

  it("Windows PowerShell 5.1 on Windows, pwsh elsewhere, state in %ProgramData%\\Ferry", () => {
    const win = resolveSettings({ api: "http://a" }, undefined, windows);
    expect(win.powershell).toBe("powershell.exe");
    expect(win.stateDir).toBe("D:\\PD\\Ferry");
    expect(resolveSettings({ api: "http://a" }, undefined, linux).powershell).toBe("pwsh");
    const named = { platform: "linux" as const, env: { NODE_POWERSHELL: "/opt/pwsh" } };
    expect(resolveSettings({ api: "http://a" }, undefined, named).powershell).toBe("/opt/pwsh");
    expect(resolveSettings({ api: "http://a", pwsh: "/x/pwsh" }, undefined, windows).powershell).toBe(
      "/x/pwsh",
    );
  });

  it("proxy: from the file or --proxy (the flag wins), noProxy as a list; bad values named, never echoed", () => {
    const file = write("proxy.json", {
      apiUrls: ["https://a:4000"],
      proxy: "http://ferry:secret@proxy.corp:3128",
      noProxy: ["ferry.local", ".corp"],
    });
    const config = readConfigFile(file);
    expect(resolveSettings({}, config, windows, file)).toMatchObject({
      proxy: "http://ferry:secret@proxy.corp:3128",
      noProxy: ["ferry.local", ".corp"],
    });
    expect(
      resolveSettings({ proxy: "https://other:8080", noProxy: "a, b:1" }, config, windows, file),
    ).toMatchObject({ proxy: "https://other:8080", noProxy: ["a", "b:1"] });
    expect(resolveSettings({ api: "http://a" }, undefined, linux)).toMatchObject({ noProxy: [] });
    expect(resolveSettings({ api: "http://a" }, undefined, linux).proxy).toBeUndefined();
    const bad = write("bad-proxy.json", { apiUrls: ["http://a"], proxy: "socks5://u:secret@p:1080" });
    const message = errorOf(() => readConfigFile(bad));
    expect(message).toContain(`${bad}: proxy: must be an http:// or https:// proxy URL`);
    expect(message).not.toContain("secret");
    expect(
      errorOf(() => resolveSettings({ api: "http://a", proxy: "proxy:3128" }, undefined, linux)),
    ).toMatch(/^--proxy: must be an http/);
    expect(errorOf(() => resolveSettings({ api: "http://a", noProxy: "a b" }, undefined, linux))).toMatch(
      /^--no-proxy: /,
    );
  });

  it("the shipped JSON schema is generated from the code, and the sample passes it", () => {
    const shipped = JSON.parse(fs.readFileSync(path.join(AGENT_DIR, "ferry-agent.schema.json"), "utf8"));
    expect(shipped, "run npm run config-schema -w @ferry/agent").toEqual(agentConfigJsonSchema());
    expect(readConfigFile(path.join(AGENT_DIR, "ferry-agent.sample.json")).apiUrls).toHaveLength(1);
  });
});
