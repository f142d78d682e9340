# Msvm_MigrationJob.RequestStateChange(4) (Terminate). A job that already ended is left as it is.
# Parameters: { JobId: string }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $job = $null
  foreach ($candidate in (Get-FerryMigrationJobs)) { if ([string]$candidate.InstanceID -eq [string]$p.JobId) { $job = $candidate } }
  if ($null -eq $job) { Stop-Ferry 'JOB_NOT_FOUND' ('No migration job has the id ' + $p.JobId + '.') }
  # JobState 2-6 (New .. ShuttingDown) is still running; 7+ has ended.
  if ([int]$job.JobState -lt 7) {
    $result = Invoke-CimMethod -InputObject $job -MethodName RequestStateChange -Arguments @{ RequestedState = [uint16]4 }
    $returnValue = [int]$result.ReturnValue
    if ($returnValue -ne 0 -and $returnValue -ne 4096) {
      $current = $null
      foreach ($candidate in (Get-FerryMigrationJobs)) { if ([string]$candidate.InstanceID -eq [string]$p.JobId) { $current = $candidate } }
      if ($null -eq $current -or [int]$current.JobState -lt 7) {
        Stop-Ferry 'UNKNOWN' ('Hyper-V refused to cancel the migration job (return value ' + $returnValue + ').')
      }
    }
  }
  Write-FerryOk $null
}
catch { Write-FerryError $_ }
