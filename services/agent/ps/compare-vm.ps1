# Compare-VM: what would stop the VM from moving to the destination. Parameters: { VmId, DestinationHost }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  # -IncludeStorage:$false selects the VMSingleDestination parameter set: with -VM and -DestinationHost
  # alone VMMultipleDestinations matches too (AmbiguousParameterSet).
  # https://learn.microsoft.com/powershell/module/hyper-v/compare-vm?view=windowsserver2016-ps
  $report = Compare-VM -VM $vm -DestinationHost ([string]$p.DestinationHost) -IncludeStorage:$false
  $issues = New-Object -TypeName System.Collections.ArrayList
  foreach ($issue in @($report.Incompatibilities)) {
    if ($null -eq $issue) { continue }
    $source = $null
    if ($null -ne $issue.Source) {
      if ($issue.Source.PSObject.Properties['Name']) { $source = [string]$issue.Source.Name } else { $source = $issue.Source.ToString() }
    }
    [void]$issues.Add([pscustomobject]@{ message = [string]$issue.Message; messageId = [long]$issue.MessageId; source = $source })
  }
  Write-FerryOk @($issues)
}
catch { Write-FerryError $_ }
