# Lists every named parameter the given scripts pass to a command, using PowerShell's parser:
# [{ file, line, command, parameter }]. Splatted hashtables are not visible here (the contract
# tests run those calls against the stub). Run by parameter-sets.test.ts.
param([Parameter(ValueFromRemainingArguments = $true)][string[]]$Paths)
$found = New-Object System.Collections.ArrayList
foreach ($path in $Paths) {
  $tokens = $null
  $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$errors)
  foreach ($command in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
    $name = $command.GetCommandName()
    if (-not $name) { continue }
    foreach ($element in $command.CommandElements) {
      if ($element -is [System.Management.Automation.Language.CommandParameterAst]) {
        [void]$found.Add([pscustomobject]@{ file = (Split-Path -Leaf $path); line = $element.Extent.StartLineNumber; command = $name; parameter = $element.ParameterName })
      }
    }
  }
}
ConvertTo-Json -InputObject @($found) -Depth 3 -Compress
