// Where the tests (and benchmarks) find PowerShell 7: NODE_POWERSHELL, the .NET global tool (docs/stack.md),
// or PATH. The one copy; the stub Hyper-V module the PowerShell tests import in place of Hyper-V's.
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

/** The stub Hyper-V module (test/stub-hyperv). */
export const STUB_MODULE = join(import.meta.dirname, "../stub-hyperv/FerryHyperVStub.psm1");

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The pwsh to test with, or null; `searched` names the places looked at before PATH (for skip messages). */
export function pwshSearch(): { path: string | null; searched: string[] } {
  const named = [
    process.env.NODE_POWERSHELL,
    join(homedir(), ".dotnet", "tools", process.platform === "win32" ? "pwsh.exe" : "pwsh"),
  ].filter((p): p is string => !!p);
  const onPath = (process.env.PATH ?? "")
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, "pwsh"));
  return { path: [...named, ...onPath].find(executable) ?? null, searched: named };
}

export function findPwsh(): string | null {
  return pwshSearch().path;
}

/** Skip without PowerShell locally (with a visible reason); in CI a missing pwsh fails instead. */
export function pwshOrSkipReason(what: string): { pwsh: string | null; skip: boolean } {
  const pwsh = findPwsh();
  if (!pwsh && !process.env.CI) console.warn(`PowerShell 7 not found: ${what} skipped.`);
  return { pwsh, skip: !pwsh && !process.env.CI };
}
