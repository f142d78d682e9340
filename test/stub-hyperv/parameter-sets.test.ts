// The stub Hyper-V module must refuse what the real cmdlets refuse: it declares each real cmdlet's
// parameter sets (Microsoft's reference for Windows Server 2016 / PowerShell 5.1, kept as data in
// reference-parameter-sets.json), and PowerShell's own binder then rejects a parameter the real
// cmdlet lacks or parameters from sets that do not combine. Runs real PowerShell 7.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_SCRIPTS_DIR } from "@ferry/agent/testing";
import { describe, expect, it } from "vitest";
import { pwshOrSkipReason, STUB_MODULE } from "../helpers/pwsh.ts";

interface CommandSets {
  defaultParameterSet: string | null;
  parameterSets: Record<string, Record<string, boolean>>;
}

const reference = JSON.parse(readFileSync(join(import.meta.dirname, "reference-parameter-sets.json"), "utf8"))
  .cmdlets as Record<string, CommandSets & { reference: string }>;
const { pwsh, skip } = pwshOrSkipReason("the stub Hyper-V parameter-set tests");

function runPwsh(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(pwsh!, ["-NoLogo", "-NoProfile", "-NonInteractive", ...args], {
    encoding: "utf8",
    env,
  });
}

/**
 * What PowerShell says for each call of the stub, in one PowerShell process: the binder's error id,
 * or "BOUND" when it accepted the call (without a state file the stub's body then stops).
 */
function bind(calls: string[]): string[] {
  const lines = [
    `Import-Module -Name '${STUB_MODULE.replace(/'/g, "''")}' -DisableNameChecking`,
    "$vm = [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.VirtualMachine'; Id = [guid]::Empty; Name = 'vm' }",
    "$notAVm = [pscustomobject]@{ Id = [guid]::Empty; Name = 'vm' }",
    "$results = New-Object System.Collections.ArrayList",
  ];
  for (const call of calls) {
    lines.push(
      `try { ${call} | Out-Null; [void]$results.Add('BOUND') }`,
      "catch [System.Management.Automation.ParameterBindingException] { [void]$results.Add(($_.FullyQualifiedErrorId -split ',')[0]) }",
      "catch { if ($_.Exception.Message -match 'FerryHyperVStub: FERRY_STUB_\\w+ is not set') { [void]$results.Add('BOUND') } else { [void]$results.Add('OTHER: ' + $_.Exception.Message) } }",
    );
  }
  lines.push("ConvertTo-Json -InputObject @($results) -Compress");
  const env = { ...process.env };
  delete env.FERRY_STUB_STATE;
  delete env.FERRY_STUB_HOST;
  const dir = mkdtempSync(join(tmpdir(), "ferry-stub-binding-"));
  try {
    const script = join(dir, "bind.ps1");
    writeFileSync(script, `${lines.join("\n")}\n`);
    return JSON.parse(runPwsh(["-File", script], env).trim().split(/\r?\n/).pop()!) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Calls the real cmdlets refuse: parameters they lack. */
const LACKING: Record<string, string> = {
  // Set-VMMigrationNetwork has -NewPriority and -NewSubnet, no -Priority; directly or splatted.
  "Set-VMMigrationNetwork -Subnet 10.0.1.0/24 -Priority 3": "NamedParameterNotFound",
  "$p = @{ Subnet = '10.0.1.0/24'; Priority = 3 }; Set-VMMigrationNetwork @p": "NamedParameterNotFound",
  "Set-VMHost -VirtualMachineMigrationEnabled $true": "NamedParameterNotFound",
  "Move-VMStorage -VM $vm -DestinationStoragePath D:\\x -IncludeStorage": "NamedParameterNotFound",
  "Get-WinEvent -LogName x -MaxEvents 0": "ParameterArgumentValidationError",
  // Neither Save-VM nor Stop-VM takes -Id (the scripts pass the VM object of Get-VM -Id).
  "Save-VM -Id ([guid]::Empty)": "NamedParameterNotFound",
  "Stop-VM -Id ([guid]::Empty)": "NamedParameterNotFound",
  "Save-VM -VM $vm -Force": "NamedParameterNotFound",
  "Stop-VM -VM $vm -Shutdown": "NamedParameterNotFound",
};

/** Calls the real cmdlets refuse: parameters from sets that do not combine, or a VM that is not one. */
const NOT_COMBINING: Record<string, string> = {
  // Move-VM: single destination (-IncludeStorage, -DestinationStoragePath) vs multiple (-Vhds ...).
  "Move-VM -VM $vm -DestinationHost HV2 -IncludeStorage -Vhds @(@{})": "AmbiguousParameterSet",
  "Move-VM -VM $vm -DestinationHost HV2 -DestinationStoragePath D:\\x -VirtualMachinePath D:\\y":
    "AmbiguousParameterSet",
  // -VM and -DestinationHost alone match both VM sets: the scripts must choose one.
  "Move-VM -VM $vm -DestinationHost HV2 -AsJob": "AmbiguousParameterSet",
  "Compare-VM -VM $vm -DestinationHost HV2": "AmbiguousParameterSet",
  "Move-VMStorage -VM $vm -DestinationStoragePath D:\\x -Vhds @(@{})": "AmbiguousParameterSet",
  "Get-VM -Name a -Id ([guid]::Empty)": "AmbiguousParameterSet",
  "Move-VM -VM $notAVm -DestinationHost HV2 -IncludeStorage:$false": "MismatchedPSTypeName",
  "Stop-VM -VM $vm -Name vm": "AmbiguousParameterSet",
  "Save-VM -VM $notAVm": "MismatchedPSTypeName",
};

/** The documented forms the scripts use. */
const DOCUMENTED = [
  "Set-VMMigrationNetwork -Subnet 10.0.1.0/24 -NewPriority 3",
  "Set-VMMigrationNetwork 10.0.1.0/24 10.0.2.0/24",
  "Add-VMMigrationNetwork -Subnet 10.0.1.0/24 -Priority 3",
  "Remove-VMMigrationNetwork -Subnet 10.0.1.0/24",
  "Get-VMMigrationNetwork",
  "Enable-VMMigration",
  "Disable-VMMigration",
  "Set-VMHost -VirtualMachineMigrationAuthenticationType Kerberos -VirtualMachineMigrationPerformanceOption SMB -MaximumVirtualMachineMigrations 2 -MaximumStorageMigrations 2 -UseAnyNetworkForMigration $false",
  "Get-VMHost",
  "Get-VMHostSupportedVersion",
  "Get-VM",
  "Get-VM -Id ([guid]::Empty)",
  "Get-VMHardDiskDrive -VM $vm",
  "Get-VMNetworkAdapter -VM $vm",
  "Get-VMProcessor -VM $vm",
  "Set-VMProcessor -VM $vm -CompatibilityForMigrationEnabled $true",
  "Save-VM -VM $vm -Confirm:$false",
  "Stop-VM -VM $vm -Confirm:$false",
  "Compare-VM -VM $vm -DestinationHost HV2 -IncludeStorage:$false",
  "Move-VM -VM $vm -DestinationHost HV2 -IncludeStorage:$false -AsJob",
  "Move-VM -VM $vm -DestinationHost HV2 -IncludeStorage -DestinationStoragePath D:\\x -AsJob",
  "Move-VMStorage -VM $vm -DestinationStoragePath D:\\x -AsJob",
  "Move-VMStorage -VM $vm -Vhds @(@{ SourceFilePath = 'a'; DestinationFilePath = 'b' }) -AsJob",
  "Get-VMSwitch",
  "Get-VHD -Path D:\\x.vhdx",
  "Get-WinEvent -LogName Microsoft-Windows-Hyper-V-VMMS-Admin -FilterXPath '*' -Oldest -MaxEvents 5",
  "Get-CimInstance -Namespace root\\virtualization\\v2 -ClassName Msvm_MigrationJob",
  "Get-NetFirewallRule -Name VIRT-MIGL-In-TCP-NoScope",
  "Get-Volume",
  "Get-NetAdapter",
  "Get-NetAdapterRdma",
  "Get-NetIPAddress",
  "Get-ADComputer -Identity HV1 -Properties msDS-AllowedToDelegateTo",
];

let bound: Map<string, string> | null = null;

/**
 * What PowerShell says for each call of the three tests below, bound once in one PowerShell process
 * (a PowerShell start with the stub module costs ~3 s of CPU; each call is bound on its own, a failed
 * binding leaves no state, and the stub's body stops without a state file).
 */
function bindings(): Map<string, string> {
  if (!bound) {
    const calls = [...new Set([...Object.keys(LACKING), ...Object.keys(NOT_COMBINING), ...DOCUMENTED])];
    const results = bind(calls);
    bound = new Map(calls.map((c, i) => [c, results[i]!]));
  }
  return bound;
}

function expectBinding(expected: Record<string, string>): void {
  const results = bindings();
  expect(Object.fromEntries(Object.keys(expected).map((c) => [c, results.get(c)]))).toEqual(expected);
}

describe.skipIf(skip)("the stub Hyper-V module's parameters", () => {
  it("declares exactly the documented parameter sets of every cmdlet the scripts use", () => {
    const stub = JSON.parse(
      runPwsh(["-File", join(import.meta.dirname, "describe-parameter-sets.ps1"), STUB_MODULE]),
    ) as Record<string, CommandSets>;
    expect(Object.keys(stub).sort()).toEqual(Object.keys(reference).sort());
    for (const [name, documented] of Object.entries(reference)) {
      const declared = stub[name]!;
      // Parameter order is not part of the contract; compare as sorted maps, with the cmdlet in the message.
      expect({ name, sets: declared.parameterSets }).toEqual({ name, sets: documented.parameterSets });
      if (documented.defaultParameterSet) {
        expect({ name, default: declared.defaultParameterSet }).toEqual({
          name,
          default: documented.defaultParameterSet,
        });
      }
    }
  });

  it("refuses parameters the real cmdlets lack, as Windows PowerShell would", () => {
    expectBinding(LACKING);
  });

  it("refuses parameters from sets that do not combine, and a VM that is not a VirtualMachine", () => {
    expectBinding(NOT_COMBINING);
  });

  it("accepts the documented forms the scripts use", () => {
    expectBinding(Object.fromEntries(DOCUMENTED.map((c) => [c, "BOUND"])));
  });

  it("the agent's scripts name only documented parameters of these cmdlets (Windows Server 2016)", () => {
    const scripts = readdirSync(DEFAULT_SCRIPTS_DIR)
      .filter((f) => f.endsWith(".ps1"))
      .map((f) => join(DEFAULT_SCRIPTS_DIR, f));
    const used = JSON.parse(
      runPwsh(["-File", join(import.meta.dirname, "script-parameters.ps1"), ...scripts]),
    ) as { file: string; line: number; command: string; parameter: string }[];
    const common = new Set(["erroraction", "warningaction", "verbose", "debug", "whatif", "confirm"]);
    const checked = used.filter((u) => reference[u.command] !== undefined);
    // The scripts call these cmdlets with literal parameters (the rest go through splatting,
    // which the contract tests run against the stub).
    expect(new Set(checked.map((u) => u.command)).size).toBeGreaterThan(10);
    const undocumented = checked.filter((u) => {
      if (common.has(u.parameter.toLowerCase())) return false;
      const sets = Object.values(reference[u.command]!.parameterSets);
      return !sets.some((set) => Object.keys(set).some((p) => p === u.parameter));
    });
    expect(undocumented).toEqual([]);
  });
});
