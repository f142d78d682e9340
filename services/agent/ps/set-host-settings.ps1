# Set-VMHost (seed steps 1-4). Parameters: any of { VirtualMachineMigrationAuthenticationType,
# VirtualMachineMigrationPerformanceOption, MaximumVirtualMachineMigrations, MaximumStorageMigrations,
# UseAnyNetworkForMigration }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $splat = ConvertTo-FerrySplat $p
  if ($splat.Count -gt 0) { Set-VMHost @splat }
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
