# Add-VMMigrationNetwork. Parameters: { Subnet: string, Priority?: number }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $splat = ConvertTo-FerrySplat $p
  foreach ($n in @(Get-VMMigrationNetwork)) {
    if ([string]$n.Subnet -eq [string]$p.Subnet) { Stop-Ferry 'NETWORK_EXISTS' ('The subnet ' + $p.Subnet + ' is already a migration network.') }
  }
  Add-VMMigrationNetwork @splat
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
