# Msvm_MigrationJob instances on this host: one (JobId) or all; then removes the PowerShell jobs of
# moves that ended (_common.ps1 Remove-FerryEndedPsJobs). Parameters: { JobId: string | null }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $all = Get-FerryMigrationJobs
  $jobs = New-Object -TypeName System.Collections.ArrayList
  foreach ($job in $all) {
    if ($null -ne $p.JobId -and [string]$job.InstanceID -ne [string]$p.JobId) { continue }
    [void]$jobs.Add((ConvertTo-FerryJob $job))
  }
  # The outcomes read here are what the agent records: the PowerShell jobs of moves that ended go.
  Remove-FerryEndedPsJobs $all
  if ($null -ne $p.JobId -and $jobs.Count -eq 0) { Stop-Ferry 'JOB_NOT_FOUND' ('No migration job has the id ' + $p.JobId + '.') }
  Write-FerryOk @($jobs)
}
catch { Write-FerryError $_ }
