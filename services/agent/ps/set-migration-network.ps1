# Set-VMMigrationNetwork -Priority. Parameters: { Subnet: string, Priority: number | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $splat = ConvertTo-FerrySplat $p
  $found = $false
  foreach ($n in @(Get-VMMigrationNetwork)) { if ([string]$n.Subnet -eq [string]$p.Subnet) { $found = $true } }
  if (-not $found) { Stop-Ferry 'NETWORK_NOT_FOUND' ('The subnet ' + $p.Subnet + ' is not a migration network.') }
  Set-VMMigrationNetwork @splat
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
