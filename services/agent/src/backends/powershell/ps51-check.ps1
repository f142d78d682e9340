# Lists what Windows PowerShell 5.1 cannot run in the given scripts, using PowerShell 7's parser
# (HYPERV.md "Windows PowerShell 5.1 vs PowerShell 7"). Run by ps51.test.ts under pwsh.
# Input: paths as arguments. Output: one JSON array of { file, line, problem }.
param([Parameter(ValueFromRemainingArguments = $true)][string[]]$Paths)

$missingParameters = @{
  'ConvertFrom-Json' = @('AsHashtable', 'DateKind', 'Depth', 'NoEnumerate')
  'ConvertTo-Json' = @('EnumsAsStrings', 'AsArray', 'EscapeHandling')
  'ForEach-Object' = @('Parallel', 'ThrottleLimit')
  'Get-Content' = @('AsByteStream')
}
$missingCommands = @('Get-Error', 'Test-Json', 'Join-String', 'ConvertTo-CliXml')

$problems = New-Object System.Collections.ArrayList
foreach ($path in $Paths) {
  $tokens = $null
  $parseErrors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$parseErrors)
  foreach ($e in $parseErrors) {
    [void]$problems.Add([pscustomobject]@{ file = $path; line = $e.Extent.StartLineNumber; problem = "parse error: $($e.Message)" })
  }
  $found = $ast.FindAll({ $true }, $true)
  foreach ($node in $found) {
    $problem = $null
    $type = $node.GetType().Name
    if ($type -eq 'TernaryExpressionAst') { $problem = 'ternary operator a ? b : c' }
    elseif ($type -eq 'PipelineChainAst') { $problem = 'pipeline chain && / ||' }
    elseif ($type -eq 'BinaryExpressionAst' -and $node.Operator.ToString() -eq 'QuestionQuestion') { $problem = 'null-coalescing ??' }
    elseif ($type -eq 'AssignmentStatementAst' -and $node.Operator.ToString() -eq 'QuestionQuestionEquals') { $problem = 'null-coalescing assignment ??=' }
    elseif (($type -eq 'MemberExpressionAst' -or $type -eq 'InvokeMemberExpressionAst' -or $type -eq 'IndexExpressionAst') -and $node.NullConditional) { $problem = 'null-conditional ?. / ?[]' }
    elseif ($type -eq 'CommandAst') {
      $name = $node.GetCommandName()
      if ($name -and $missingCommands -contains $name) { $problem = "command $name" }
      elseif ($name -and $missingParameters.ContainsKey($name)) {
        foreach ($element in $node.CommandElements) {
          if ($element -is [System.Management.Automation.Language.CommandParameterAst]) {
            foreach ($missing in $missingParameters[$name]) {
              if ($missing -like "$($element.ParameterName)*") { $problem = "$name -$missing" }
            }
          }
        }
      }
    }
    if ($problem) {
      [void]$problems.Add([pscustomobject]@{ file = $path; line = $node.Extent.StartLineNumber; problem = $problem })
    }
  }
}
ConvertTo-Json -InputObject @($problems) -Depth 3 -Compress
