// Test helpers: where PowerShell 7 is (NODE_POWERSHELL, the .NET global tool, PATH).
import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findPwsh(): string | null {
  const candidates = [
    process.env.NODE_POWERSHELL,
    join(homedir(), ".dotnet", "tools", "pwsh"),
    ...(process.env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, "pwsh")),
  ].filter((p): p is string => !!p);
  return candidates.find(executable) ?? null;
}

/** Skip without PowerShell locally (with a visible reason); in CI a missing pwsh fails instead. */
export function pwshOrSkipReason(what: string): { pwsh: string | null; skip: boolean } {
  const pwsh = findPwsh();
  if (!pwsh && !process.env.CI) console.warn(`PowerShell 7 not found: ${what} skipped.`);
  return { pwsh, skip: !pwsh && !process.env.CI };
}
