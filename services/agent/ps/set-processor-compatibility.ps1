# Set-VMProcessor -CompatibilityForMigrationEnabled (seed step 5; Hyper-V refuses unless the VM is Off).
# Parameters: { VmId: string, CompatibilityForMigrationEnabled: bool }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  Set-VMProcessor -VM $vm -CompatibilityForMigrationEnabled ([bool]$p.CompatibilityForMigrationEnabled)
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
