// Proof that a generated PowerShell script holds values only as data: a tokenizer for PowerShell's
// single-quoted strings (', and the typographic ‘ ’ ‚ ‛, with a doubled quote as the escape), and,
// when PowerShell 7 is installed, its own parser.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const QUOTES = new Set(["'", "\u2018", "\u2019", "\u201A", "\u201B"]);

/** The script split into code (outside single-quoted strings) and the literals' values. */
export function splitSingleQuoted(script: string): { code: string; literals: string[] } {
  let code = "";
  const literals: string[] = [];
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (!QUOTES.has(c)) {
      code += c;
      continue;
    }
    let value = "";
    i++;
    for (;;) {
      if (i >= script.length) throw new Error("unterminated single-quoted string");
      const d = script[i]!;
      if (QUOTES.has(d)) {
        if (i + 1 < script.length && QUOTES.has(script[i + 1]!)) {
          value += script[i + 1];
          i += 2;
          continue;
        }
        break;
      }
      value += d;
      i++;
    }
    literals.push(value);
    code += "''";
  }
  return { code, literals };
}

export { findPwsh } from "../helpers/pwsh.ts";

export interface PwshParse {
  errors: string[];
  /** Values of every single-quoted string constant. */
  singleQuoted: string[];
  /** Names of every command invoked. */
  commands: string[];
  /** Any expandable ("...") strings or sub-expressions ($(...)) in the script. */
  expandable: number;
}

/**
 * Parses the script with PowerShell's own parser (nothing is run). Asynchronous: the test API runs in
 * this process, and blocking its event loop for seconds made its keep-alive sockets reset the next request.
 */
export async function parseWithPwsh(pwsh: string, script: string): Promise<PwshParse> {
  const dir = mkdtempSync(join(tmpdir(), "ferry-ps-"));
  try {
    const file = join(dir, "plan.ps1");
    writeFileSync(file, script, "utf8");
    const probe = join(dir, "probe.ps1");
    writeFileSync(
      probe,
      `param([string]$Path)
$tokens = $null; $errors = $null
$ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
$strings = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.StringConstantType -eq 'SingleQuoted' }, $true) | ForEach-Object { $_.Value }
$commands = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() }
$expandable = @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.ExpandableStringExpressionAst] -or $n -is [System.Management.Automation.Language.SubExpressionAst] }, $true)).Count
[pscustomobject]@{ errors = @($errors | ForEach-Object { $_.Message }); singleQuoted = @($strings); commands = @($commands); expandable = $expandable } | ConvertTo-Json -Depth 4 -Compress
`,
      "utf8",
    );
    const { stdout: out } = await promisify(execFile)(
      pwsh,
      ["-NoProfile", "-NonInteractive", "-File", probe, "-Path", file],
      { encoding: "utf8", timeout: 60_000 },
    );
    return JSON.parse(out) as PwshParse;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
