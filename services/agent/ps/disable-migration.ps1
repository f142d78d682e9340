# Disable-VMMigration. Parameters: {}.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $null = Read-FerryParameters $args[0]
  Disable-VMMigration
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
