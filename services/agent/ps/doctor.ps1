# `ferry-agent doctor`: what this PowerShell sees of the host, for the agent to judge (not a Hyper-V
# operation; runs in its own short-lived process). Parameters: { ModulePath: string | null, StateDir: string }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $onWindows = [Environment]::OSVersion.Platform -eq [PlatformID]::Win32NT
  $module = $null
  $moduleError = $null
  try {
    if ($p.ModulePath) {
      Import-Module -Name ([string]$p.ModulePath) -Force -DisableNameChecking -ErrorAction Stop
      $module = [string]$p.ModulePath
    }
    else {
      Import-Module -Name Hyper-V -ErrorAction Stop
      $module = 'Hyper-V ' + [string](Get-Module -Name Hyper-V).Version
    }
  }
  catch { $moduleError = $_.Exception.Message }
  $getVm = $null -ne (Get-Command -Name Get-VM -ErrorAction SilentlyContinue)

  $vmms = $null
  if ($onWindows) {
    $service = Get-Service -Name vmms -ErrorAction SilentlyContinue
    if ($service) { $vmms = [string]$service.Status } else { $vmms = 'MISSING' }
  }

  $admin = $null
  $stateDirSids = $null
  if ($onWindows) {
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    $admin = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    if ($p.StateDir -and (Test-Path -LiteralPath ([string]$p.StateDir))) {
      $stateDirSids = @((Get-Acl -LiteralPath ([string]$p.StateDir)).Access | ForEach-Object {
          try { $_.IdentityReference.Translate([Security.Principal.SecurityIdentifier]).Value } catch { [string]$_.IdentityReference }
        } | Sort-Object -Unique)
    }
  }

  Write-FerryOk ([pscustomobject]@{
      psVersion    = $PSVersionTable.PSVersion.ToString()
      edition      = [string]$PSVersionTable.PSEdition
      languageMode = [string]$ExecutionContext.SessionState.LanguageMode
      windows      = $onWindows
      module       = $module
      moduleError  = $moduleError
      getVm        = $getVm
      vmms         = $vmms
      admin        = $admin
      stateDirSids = $stateDirSids
    })
}
catch { Write-FerryError $_ }
