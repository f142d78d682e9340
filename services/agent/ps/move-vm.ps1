# Move-VM -AsJob (seed step 6); returns the Msvm_MigrationJob. Parameters: { VmId, DestinationHost,
# IncludeStorage: bool, DestinationStoragePath: string | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  # -IncludeStorage is always bound (true or false): it selects Move-VM's single-destination parameter
  # set (VMSingleDestination); with -VM and -DestinationHost alone the multiple-destinations set
  # (VMMultipleDestinations) matches too and PowerShell cannot choose (AmbiguousParameterSet).
  # https://learn.microsoft.com/powershell/module/hyper-v/move-vm?view=windowsserver2016-ps
  $splat = @{ VM = $vm; DestinationHost = [string]$p.DestinationHost; IncludeStorage = [bool]$p.IncludeStorage; AsJob = $true }
  if ($p.IncludeStorage) { $splat['DestinationStoragePath'] = [string]$p.DestinationStoragePath }
  $known = Get-FerryKnownJobIds
  $psJob = Move-VM @splat
  Write-FerryOk (Wait-FerryMigrationJob $psJob $vm.Id.ToString() $known)
}
catch { Write-FerryError $_ }
