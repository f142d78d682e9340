<#
.SYNOPSIS
  Installs (or upgrades, or removes) the Ferry agent as the "Ferry Agent" Windows service.
.DESCRIPTION
  Run as Administrator from the unpacked package folder. Copies the package to -InstallDir, then lets
  ferry-agent.js do the rest: `service install` (configuration in %ProgramData%\Ferry, ACL for SYSTEM and
  Administrators only, the service registered through the bundled WinSW wrapper), `service start`, and
  `doctor`. Upgrading keeps %ProgramData%\Ferry (credential, command journal, configuration).
.EXAMPLE
  .\install.ps1 -ApiUrl https://ferry.example.com:4000 -EnrollmentToken 0123...
.EXAMPLE
  .\install.ps1 -Uninstall -Purge
#>
[CmdletBinding()]
param(
  [string]$ApiUrl,
  [string]$EnrollmentToken,
  [string]$Proxy,
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'Ferry Agent'),
  [string]$NodePath,
  [switch]$Uninstall,
  [switch]$Purge
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'Run install.ps1 from an elevated PowerShell (Run as Administrator).'
}

if (-not $NodePath) {
  $command = Get-Command node.exe -ErrorAction SilentlyContinue
  if (-not $command) { throw 'Node.js not found: install it (see README.md) or pass -NodePath <path to node.exe>.' }
  $NodePath = $command.Source
}
$versionText = (& $NodePath --version) -replace '^v', ''
$minimum = [version]((Get-Content (Join-Path $PSScriptRoot 'package.json') -Raw | ConvertFrom-Json).engines.node -replace '^>=\s*', '')
if ([version]$versionText -lt $minimum) { throw "Node.js $versionText is too old: the agent needs $minimum or later." }

function Invoke-Agent([string]$Folder, [string[]]$Arguments) {
  & $NodePath (Join-Path $Folder 'ferry-agent.js') @Arguments
  if ($LASTEXITCODE -ne 0) { throw "ferry-agent $($Arguments -join ' ') failed (exit $LASTEXITCODE)." }
}

$installed = Join-Path $InstallDir 'ferry-agent.js'
if ($Uninstall) {
  $arguments = @('service', 'uninstall')
  if ($Purge) { $arguments += '--purge' }
  if (Test-Path $installed) { Invoke-Agent $InstallDir $arguments } else { Invoke-Agent $PSScriptRoot $arguments }
  if (Test-Path $InstallDir) { Remove-Item -LiteralPath $InstallDir -Recurse -Force }
  Write-Host 'Ferry Agent removed.'
  return
}

# Upgrade: stop the running service before its files are replaced (its state stays in %ProgramData%\Ferry).
if (Test-Path $installed) { Invoke-Agent $InstallDir @('service', 'stop') }
if ((Resolve-Path $PSScriptRoot).Path -ne $InstallDir) {
  New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
  Copy-Item -Path (Join-Path $PSScriptRoot '*') -Destination $InstallDir -Recurse -Force
}
Set-Content -LiteralPath (Join-Path $InstallDir 'ferry-agent.cmd') -Encoding ASCII `
  -Value "@`"$NodePath`" `"%~dp0ferry-agent.js`" %*"

$arguments = @('service', 'install')
if ($ApiUrl) { $arguments += @('--api', $ApiUrl) }
if ($EnrollmentToken) { $arguments += @('--enrollment-token', $EnrollmentToken) }
if ($Proxy) { $arguments += @('--proxy', $Proxy) }
Invoke-Agent $InstallDir $arguments
Invoke-Agent $InstallDir @('service', 'start')
& $NodePath $installed doctor
Write-Host "Ferry Agent installed in $InstallDir; configuration and state in $env:ProgramData\Ferry."
