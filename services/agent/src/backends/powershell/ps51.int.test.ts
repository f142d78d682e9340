// Every operation script must run on Windows PowerShell 5.1 (Server 2016); PowerShell 7's parser
// finds the 7-only syntax and parameters that would pass here and fail on every customer host.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { pwshOrSkipReason } from "../../../../../test/helpers/pwsh.ts";
import { DEFAULT_SCRIPTS_DIR } from "./index.ts";

const CHECKER = join(dirname(fileURLToPath(import.meta.url)), "ps51-check.ps1");
const { pwsh, skip } = pwshOrSkipReason("the Windows PowerShell 5.1 language check");

interface Problem {
  file: string;
  line: number;
  problem: string;
}

function check(paths: string[]): Problem[] {
  if (!pwsh) throw new Error("PowerShell 7 is required (set NODE_POWERSHELL or install the pwsh .NET tool).");
  const out = execFileSync(pwsh, ["-NoLogo", "-NoProfile", "-NonInteractive", "-File", CHECKER, ...paths], {
    encoding: "utf8",
  });
  return JSON.parse(out) as Problem[];
}

describe.skipIf(skip)("scripts stay within Windows PowerShell 5.1", () => {
  it("every .ps1 in services/agent/ps parses and uses no PowerShell 7 syntax or parameters", () => {
    const scripts = readdirSync(DEFAULT_SCRIPTS_DIR)
      .filter((f) => f.endsWith(".ps1"))
      .map((f) => join(DEFAULT_SCRIPTS_DIR, f));
    expect(scripts.length).toBeGreaterThan(10);
    expect(check(scripts)).toEqual([]);
  });

  it("the check catches each construct 5.1 lacks", () => {
    const dir = mkdtempSync(join(tmpdir(), "ferry-ps51-"));
    try {
      const bad = join(dir, "bad.ps1");
      writeFileSync(
        bad,
        [
          "$a = $true ? 1 : 2",
          "Get-Item x && Get-Item y",
          "$b = $null ?? 3",
          "$c ??= 4",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: PowerShell syntax, not a template
          "$d = ${a}?.Length",
          "$e = '{}' | ConvertFrom-Json -AsHashtable",
          "$f = 1 | ConvertTo-Json -EnumsAsStrings",
          "$g = 1 | ConvertTo-Json -AsArray",
          "1..3 | ForEach-Object -Parallel { $_ }",
          "Get-Error",
        ].join("\n"),
      );
      // After a clean file: every path given is checked, not only the first.
      const found = check([join(DEFAULT_SCRIPTS_DIR, "_common.ps1"), bad]).map((p) => p.problem);
      expect(found).toEqual([
        "ternary operator a ? b : c",
        "pipeline chain && / ||",
        "null-coalescing ??",
        "null-coalescing assignment ??=",
        "null-conditional ?. / ?[]",
        "ConvertFrom-Json -AsHashtable",
        "ConvertTo-Json -EnumsAsStrings",
        "ConvertTo-Json -AsArray",
        "ForEach-Object -Parallel",
        "command Get-Error",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
