# Session start: makes the session's output plain and imports the Hyper-V module the agent was
# told to use (--ps-module; the tests' stub), once. Parameters: { ModulePath: string | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $global:ProgressPreference = 'SilentlyContinue'
  if (Get-Variable -Name PSStyle -Scope Global -ErrorAction SilentlyContinue) { $PSStyle.OutputRendering = 'PlainText' }
  if ($p.ModulePath) { Import-Module -Name ([string]$p.ModulePath) -Force -Global -DisableNameChecking -ErrorAction Stop }
  Write-FerryOk ([pscustomobject]@{ psVersion = $PSVersionTable.PSVersion.ToString(); edition = [string]$PSVersionTable.PSEdition })
}
catch { Write-FerryError $_ }
