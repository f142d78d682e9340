# Prints the parameter sets of every command FerryHyperVStub.psm1 exports, as PowerShell's binder
# sees them: { <command>: { defaultParameterSet, parameterSets: { <set>: { <parameter>: mandatory } } } }.
# Common parameters are left out, except -WhatIf and -Confirm (the cmdlet reference lists them).
# Run by parameter-sets.test.ts.
param([string]$ModulePath)
$module = Import-Module -Name $ModulePath -PassThru -Force -DisableNameChecking
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + @('UseTransaction')
$result = [ordered]@{}
foreach ($command in @(Get-Command -Module $module.Name | Sort-Object Name)) {
  $sets = [ordered]@{}
  foreach ($set in $command.ParameterSets) {
    $name = $set.Name
    if ($name -eq '__AllParameterSets') { $name = '(single)' }
    $parameters = [ordered]@{}
    foreach ($p in ($set.Parameters | Sort-Object Name)) {
      if ($common -contains $p.Name) { continue }
      $parameters[$p.Name] = [bool]$p.IsMandatory
    }
    $sets[$name] = $parameters
  }
  $default = $command.DefaultParameterSet
  $result[$command.Name] = [ordered]@{ defaultParameterSet = $default; parameterSets = $sets }
}
ConvertTo-Json -InputObject $result -Depth 6 -Compress
