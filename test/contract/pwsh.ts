// Where the tests find PowerShell 7: NODE_POWERSHELL, the .NET global tool (STACK.md), or PATH.
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

/** The pwsh to test with, or null; `searched` says where we looked (for the skip message). */
export function findPwsh(): { path: string | null; searched: string[] } {
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

/** The stub Hyper-V module the PowerShell tests import in place of Hyper-V's. */
export const STUB_MODULE = join(import.meta.dirname, "../stub-hyperv/FerryHyperVStub.psm1");
