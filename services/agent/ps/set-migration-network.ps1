# Changes an existing migration network's priority. Set-VMMigrationNetwork has -NewPriority and
# -NewSubnet but no -Priority (https://learn.microsoft.com/powershell/module/hyper-v/set-vmmigrationnetwork?view=windowsserver2016-ps).
# It cannot clear a priority: for Priority null the network is removed and added back without one.
# Parameters: { Subnet: string, Priority: number | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $subnet = [string]$p.Subnet
  $found = $false
  foreach ($n in @(Get-VMMigrationNetwork)) { if ([string]$n.Subnet -eq $subnet) { $found = $true } }
  if (-not $found) { Stop-Ferry 'NETWORK_NOT_FOUND' ('The subnet ' + $subnet + ' is not a migration network.') }
  if ($null -ne $p.Priority) {
    $splat = @{ Subnet = $subnet; NewPriority = [uint32]$p.Priority }
    Set-VMMigrationNetwork @splat
  }
  else {
    Remove-VMMigrationNetwork -Subnet $subnet
    Add-VMMigrationNetwork -Subnet $subnet
  }
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
