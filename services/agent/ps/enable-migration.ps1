# Enable-VMMigration (seed step 1). Parameters: {}.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $null = Read-FerryParameters $args[0]
  Enable-VMMigration
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
