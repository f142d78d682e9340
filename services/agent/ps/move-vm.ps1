# Move-VM -AsJob (seed step 6); returns the Msvm_MigrationJob. Parameters: { VmId, DestinationHost,
# IncludeStorage: bool, DestinationStoragePath: string | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  $splat = @{ VM = $vm; DestinationHost = [string]$p.DestinationHost; AsJob = $true }
  if ($p.IncludeStorage) {
    $splat['IncludeStorage'] = $true
    $splat['DestinationStoragePath'] = [string]$p.DestinationStoragePath
  }
  $known = Get-FerryKnownJobIds
  $psJob = Move-VM @splat
  Write-FerryOk (Wait-FerryMigrationJob $psJob $vm.Id.ToString() $known)
}
catch { Write-FerryError $_ }
