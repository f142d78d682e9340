// The persistent session: one line per call, serialized calls, timeouts and crashes that restart
// the session, and no way for parameters to become code. Runs real PowerShell 7.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pwshOrSkipReason } from "../../../../../test/helpers/pwsh.ts";
import { HyperVError } from "../types.ts";
import { createPowerShellBackend, DEFAULT_SCRIPTS_DIR } from "./index.ts";
import { buildCommand, PowerShellSession, quotePowerShell } from "./session.ts";

describe("buildCommand", () => {
  it("sends one line with the parameters as base64 only", () => {
    const command = buildCommand("/opt/ferry/ps/", "move-vm", { VmId: "x'; $(calc) `n\n" });
    expect(command).not.toMatch(/[\r\n]/);
    const [, script, payload] = /^& '([^']*)' '([A-Za-z0-9+/=]*)'$/.exec(command)!;
    expect(script).toBe("/opt/ferry/ps/move-vm.ps1");
    expect(JSON.parse(Buffer.from(payload!, "base64").toString("utf8"))).toEqual({
      VmId: "x'; $(calc) `n\n",
    });
    expect(() => buildCommand("/x", "../evil", {})).toThrow();
  });

  it("doubles every quote PowerShell reads as a single quote in our own paths", () => {
    expect(quotePowerShell("C:\\Ferry's \u2018agent\u2019")).toBe(
      "'C:\\Ferry''s \u2018\u2018agent\u2019\u2019'",
    );
  });
});

const { pwsh, skip } = pwshOrSkipReason("the PowerShell session tests");

describe.skipIf(skip)("PowerShellSession with PowerShell 7", () => {
  let dir: string;
  const marker = join(tmpdir(), `ferry-session-injected-${process.pid}`);
  const session = (callTimeoutMs = 10_000) =>
    new PowerShellSession({
      executable: pwsh ?? "pwsh",
      scriptsDir: dir,
      psModulePath: null,
      callTimeoutMs,
      env: process.env,
    });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ferry-session-"));
    for (const f of ["_common.ps1", "_init.ps1"]) copyFileSync(join(DEFAULT_SCRIPTS_DIR, f), join(dir, f));
    const script = (name: string, body: string) =>
      writeFileSync(join(dir, `${name}.ps1`), `. (Join-Path $PSScriptRoot '_common.ps1')\n${body}\n`);
    script(
      "echo",
      "try { $p = Read-FerryParameters $args[0]; Write-FerryOk ([pscustomobject]@{ value = $p.Value; pid = $PID }) } catch { Write-FerryError $_ }",
    );
    script(
      "noisy",
      "'stray output'; Write-Host 'host text'; [Console]::Error.WriteLine('stderr text'); Write-FerryOk 42",
    );
    script("hang", "Start-Sleep -Seconds 60");
    script("crash", "[Environment]::Exit(3)");
    script("broken", "if ($true {");
    script("fail", "try { throw 'Could not find Ethernet switch ''x''.' } catch { Write-FerryError $_ }");
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(existsSync(marker)).toBe(false);
  });

  it("returns any string unchanged and runs none of it", async () => {
    const s = session();
    try {
      const values = [
        `'; New-Item -ItemType File -Path '${marker}'; '`,
        `$(New-Item -ItemType File -Path '${marker}')`,
        `\u2019; New-Item -ItemType File -Path \u2018${marker}\u2019; \u2018 \u201c\u201d "`,
        `\n New-Item -ItemType File -Path '${marker}'\n\n`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: PowerShell syntax, not a template
        "`n`r ${env:PATH} @(1) <# #> | & ; \u00e9\u4e2d\ud83d\ude00",
      ];
      for (const value of values) {
        expect(await s.run("echo", { Value: value })).toMatchObject({ ok: true, data: { value } });
      }
      expect(existsSync(marker)).toBe(false);
    } finally {
      await s.close();
    }
  });

  it("serializes concurrent calls on one process and ignores stray output", async () => {
    const s = session();
    try {
      const results = await Promise.all([1, 2, 3, 4].map((n) => s.run("echo", { Value: String(n) })));
      expect(results.map((r) => (r.ok ? (r.data as { value: string }).value : null))).toEqual([
        "1",
        "2",
        "3",
        "4",
      ]);
      expect(new Set(results.map((r) => (r.ok ? (r.data as { pid: number }).pid : 0))).size).toBe(1);
      expect(await s.run("noisy", {})).toEqual({ ok: true, data: 42 });
      expect(await s.run("fail", {})).toMatchObject({
        ok: false,
        error: { message: "Could not find Ethernet switch 'x'." },
      });
    } finally {
      await s.close();
    }
  });

  it("restarts the session after a timeout, a crash or a script that does not parse", async () => {
    // A call times out after 8 s; starting a session has its own, longer timeout (60 s).
    const s = session(8_000);
    try {
      const pidOf = async () => {
        const r = await s.run("echo", { Value: "x" });
        return r.ok ? (r.data as { pid: number }).pid : 0;
      };
      const first = await pidOf();
      const hang = await s.run("hang", {}).catch((e: unknown) => e);
      expect(hang).toBeInstanceOf(HyperVError);
      expect((hang as HyperVError).code).toBe("BACKEND_UNAVAILABLE");
      expect((hang as HyperVError).message).toMatch(/did not answer .* within 8000 ms/);
      const second = await pidOf();
      expect(second).not.toBe(first);
      const crash = await s.run("crash", {}).catch((e: unknown) => e);
      expect((crash as HyperVError).code).toBe("BACKEND_UNAVAILABLE");
      const third = await pidOf();
      expect(third).not.toBe(second);
      const broken = await s.run("broken", {}).catch((e: unknown) => e);
      expect((broken as HyperVError).code).toBe("BACKEND_UNAVAILABLE");
      expect((broken as HyperVError).message).not.toMatch(/ParserError|At line|Missing/);
      expect(await pidOf()).toBeGreaterThan(0);
    } finally {
      await s.close();
    }
  }, 240_000);

  it("fails cleanly when PowerShell cannot start or the backend is closed", async () => {
    const missing = createPowerShellBackend({ executable: join(dir, "no-such-pwsh"), callTimeoutMs: 5_000 });
    const error = await missing.getInventory().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HyperVError);
    expect((error as HyperVError).code).toBe("BACKEND_UNAVAILABLE");
    await missing.close();
    const closed = session();
    await closed.close();
    expect(((await closed.run("echo", {}).catch((e: unknown) => e)) as HyperVError).code).toBe(
      "BACKEND_UNAVAILABLE",
    );
  });

  it("reports BACKEND_UNAVAILABLE when the Hyper-V module cannot be imported", async () => {
    const backend = createPowerShellBackend({
      executable: pwsh ?? "pwsh",
      psModulePath: join(dir, "NoSuchModule.psm1"),
      callTimeoutMs: 10_000,
    });
    try {
      const error = (await backend.enableMigration().catch((e: unknown) => e)) as HyperVError;
      expect(error.code).toBe("BACKEND_UNAVAILABLE");
      expect(error.message).toBe(
        "The PowerShell session could not start (the Hyper-V module could not be loaded).",
      );
    } finally {
      await backend.close();
    }
  });
});
