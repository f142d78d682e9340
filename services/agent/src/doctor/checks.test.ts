// doctor's judgements for what only a Windows host reports (facts as doctor.ps1 returns them there):
// language mode, vmms, elevation, the state folder's ACL, clock skew bounds, TLS trust errors.
import { describe, expect, it } from "vitest";
import {
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
} from "./checks.ts";

const server2016: PowerShellFacts = {
  psVersion: "5.1.14393.6343",
  edition: "Desktop",
  languageMode: "FullLanguage",
  windows: true,
  module: "Hyper-V 2.0.0.0",
  moduleError: null,
  getVm: true,
  vmms: "Running",
  admin: true,
  stateDirSids: ["S-1-5-18", "S-1-5-32-544"],
};
const dir = { path: "C:\\ProgramData\\Ferry", exists: true, writable: true };

describe("doctor checks", () => {
  it("passes a healthy Windows Server 2016 host", () => {
    const results = [
      checkNode("v20.19.0"),
      checkPowerShell("powershell.exe", server2016),
      checkHyperVModule(server2016),
      checkVmms(server2016),
      checkAdmin(server2016, undefined),
      checkApi({ url: "https://ferry:4000", status: 200, skewMs: 800 }),
      checkClock({ url: "https://ferry:4000", status: 200, skewMs: 800 }),
      checkStateDir(dir, server2016),
    ];
    expect(results.map((r) => r.outcome)).toEqual(Array(8).fill("PASS"));
    expect(formatResults(results).split("\n")[1]).toBe(
      "PASS  PowerShell      5.1.14393.6343 Desktop (powershell.exe), FullLanguage",
    );
  });

  it("fails what blocks the agent, each with a remedy", () => {
    const bad = {
      ...server2016,
      languageMode: "ConstrainedLanguage",
      vmms: "Stopped",
      admin: false,
      stateDirSids: ["S-1-5-18", "S-1-5-32-544", "S-1-5-32-545"],
    };
    const results = [
      checkNode("v18.20.4"),
      checkPowerShell("powershell.exe", bad),
      checkVmms(bad),
      checkVmms({ ...bad, vmms: "MISSING" }),
      checkHyperVModule({
        ...bad,
        module: null,
        getVm: false,
        moduleError: "The specified module 'Hyper-V' was not loaded",
      }),
      checkAdmin(bad, undefined),
      checkStateDir(dir, bad),
      checkApi({ url: "https://ferry:4000", status: null, errorCode: "SELF_SIGNED_CERT_IN_CHAIN" }),
      checkClock({ url: "https://ferry:4000", status: 200, skewMs: -300_000 }),
    ];
    for (const r of results) {
      expect(r.outcome, r.name).toBe("FAIL");
      expect(r.remedy, r.name).toBeTruthy();
    }
    expect(results[1]!.remedy).toContain("AppLocker");
    expect(results[2]!.remedy).toBe("Set-Service vmms -StartupType Automatic; Start-Service vmms");
    expect(results[6]!.detail).toContain("S-1-5-32-545");
    expect(results[7]!.remedy).toContain("NODE_EXTRA_CA_CERTS");
    expect(results[8]!.detail).toBe("-300 s against the API");
  });

  it("warns on what works but should not stay so", () => {
    expect(checkApi({ url: "http://ferry:4000", status: 200 }).outcome).toBe("WARN");
    expect(checkClock({ url: "x", status: 200, skewMs: 20_000 }).outcome).toBe("WARN");
    expect(checkApi(null).outcome).toBe("WARN");
    expect(checkStateDir({ ...dir, exists: false }, server2016).outcome).toBe("WARN");
  });

  it("reports the proxy: through it, bypassed by noProxy, or failing with a remedy", () => {
    const proxy = "http://***:***@proxy.corp:3128";
    const ok = { url: "https://ferry:4000", status: 200 };
    expect(checkProxy({ proxy, usedForApi: true }, ok)).toMatchObject({
      outcome: "PASS",
      detail: `https://ferry:4000 reached through proxy ${proxy}`,
    });
    expect(checkProxy({ proxy, usedForApi: false }, ok).detail).toContain("is in noProxy (direct)");
    const failed = checkProxy(
      { proxy, usedForApi: true },
      { url: "https://ferry:4000", status: null, errorMessage: "HTTP 403" },
    );
    expect(failed.outcome).toBe("FAIL");
    expect(failed.remedy).toContain("allows CONNECT");
    expect(checkProxy({ proxy, usedForApi: true }, null).outcome).toBe("WARN");
  });
});
