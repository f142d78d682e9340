# Move-VMStorage -AsJob (seed step 7); returns the Msvm_MigrationJob. Parameters: { VmId,
# DestinationStoragePath: string | null, Vhds: [{ SourceFilePath, DestinationFilePath }] | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  $splat = @{ VM = $vm; AsJob = $true }
  if ($null -ne $p.Vhds) {
    $vhds = New-Object -TypeName System.Collections.ArrayList
    foreach ($v in @($p.Vhds)) {
      [void]$vhds.Add(@{ SourceFilePath = [string]$v.SourceFilePath; DestinationFilePath = [string]$v.DestinationFilePath })
    }
    $splat['Vhds'] = [hashtable[]]$vhds.ToArray([hashtable])
  }
  else {
    $splat['DestinationStoragePath'] = [string]$p.DestinationStoragePath
  }
  $known = Get-FerryKnownJobIds
  $psJob = Move-VMStorage @splat
  Write-FerryOk (Wait-FerryMigrationJob $psJob $vm.Id.ToString() $known)
}
catch { Write-FerryError $_ }
