# Helpers dot-sourced by every operation script. Windows PowerShell 5.1 language only (Server 2016).
# Contract with the agent (services/agent/src/backends/powershell): each script is called as ONE line
#   & '<dir>\<op>.ps1' '<base64 of UTF-8 JSON parameters>'
# and writes exactly one line "FERRY-RESULT:<json>" with { ok: true, data } or { ok: false, error }.
# Parameters are data: they are decoded here and splatted, never turned into script text.

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$WarningPreference = 'SilentlyContinue'
$InformationPreference = 'SilentlyContinue'

function Read-FerryParameters([string]$Encoded) {
  if ([string]::IsNullOrEmpty($Encoded)) { return New-Object -TypeName psobject }
  $json = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($Encoded))
  return ($json | ConvertFrom-Json)
}

# A splat hashtable from a decoded JSON object (ConvertFrom-Json -AsHashtable does not exist in 5.1).
function ConvertTo-FerrySplat($Object) {
  $splat = @{}
  if ($null -ne $Object) {
    foreach ($property in $Object.PSObject.Properties) {
      if ($null -ne $property.Value) { $splat[$property.Name] = $property.Value }
    }
  }
  return $splat
}

# Enum or string to its name; $null stays $null.
function ConvertTo-FerryString($Value) {
  if ($null -eq $Value) { return $null }
  return $Value.ToString()
}

function ConvertTo-FerryDate($Value) {
  if ($null -eq $Value) { return $null }
  return ([DateTime]$Value).ToUniversalTime().ToString('o')
}

# Writes the envelope as one ASCII line: non-ASCII characters are \u-escaped so that the console
# code page of Windows PowerShell 5.1 cannot mangle VM names.
function Write-FerryResult($Envelope) {
  $json = ConvertTo-Json -InputObject $Envelope -Depth 10 -Compress
  $json = [regex]::Replace($json, '[^\x00-\x7F]', { param($m) '\u{0:x4}' -f [int][char]$m.Value })
  [Console]::Out.WriteLine('FERRY-RESULT:' + $json)
}

function Write-FerryOk($Data) {
  Write-FerryResult ([pscustomobject]@{ ok = $true; data = $Data })
}

# Fails the operation with a code the script already knows (VM_NOT_FOUND, NETWORK_EXISTS ...).
function Stop-Ferry([string]$Code, [string]$Message) {
  $exception = New-Object -TypeName System.Exception -ArgumentList $Message
  $exception.Data['FerryCode'] = $Code
  throw $exception
}

# The error envelope: Hyper-V's message plus what the agent classifies it by (HRESULT, error id).
function Write-FerryError($ErrorRecord) {
  $exception = $ErrorRecord.Exception
  $code = $null
  if ($exception.Data.Contains('FerryCode')) { $code = [string]$exception.Data['FerryCode'] }
  $messages = New-Object -TypeName System.Collections.ArrayList
  $inner = $exception
  while ($null -ne $inner) {
    if ($inner.Message -and -not $messages.Contains($inner.Message)) { [void]$messages.Add([string]$inner.Message) }
    $inner = $inner.InnerException
  }
  $hresults = New-Object -TypeName System.Collections.ArrayList
  $inner = $exception
  while ($null -ne $inner) {
    [void]$hresults.Add([int]$inner.HResult)
    $inner = $inner.InnerException
  }
  Write-FerryResult ([pscustomobject]@{
      ok = $false
      error = [pscustomobject]@{
        code = $code
        message = ($messages -join ' ')
        hresults = @($hresults)
        errorId = [string]$ErrorRecord.FullyQualifiedErrorId
        category = [string]$ErrorRecord.CategoryInfo.Category
        exceptionType = $exception.GetType().FullName
      }
    })
}

# Get-VM -Id; VM_NOT_FOUND for an id that is not a GUID or not on this host.
function Get-FerryVm([string]$VmId) {
  $guid = [guid]::Empty
  if (-not [guid]::TryParse($VmId, [ref]$guid)) { Stop-Ferry 'VM_NOT_FOUND' ('No virtual machine has the id ' + $VmId + '.') }
  try {
    $vm = Get-VM -Id $guid -ErrorAction Stop
  }
  catch {
    if ($_.CategoryInfo.Category.ToString() -eq 'ObjectNotFound' -or $_.Exception.Message -match 'unable to find') {
      Stop-Ferry 'VM_NOT_FOUND' ('No virtual machine has the id ' + $VmId + ' on this host.')
    }
    throw
  }
  if ($null -eq $vm) { Stop-Ferry 'VM_NOT_FOUND' ('No virtual machine has the id ' + $VmId + ' on this host.') }
  return $vm
}

function Get-FerryMigrationJobs {
  $jobs = @(Get-CimInstance -Namespace 'root\virtualization\v2' -ClassName 'Msvm_MigrationJob' -ErrorAction Stop)
  return , $jobs
}

# Msvm_MigrationJob as the agent reads it (JobState and JobType stay numbers; the agent maps them).
function ConvertTo-FerryJob($Job) {
  return [pscustomobject]@{
    jobId = [string]$Job.InstanceID
    jobType = [int]$Job.JobType
    vmId = [string]$Job.VirtualSystemName
    jobState = [int]$Job.JobState
    percentComplete = [int]$Job.PercentComplete
    errorCode = [int]$Job.ErrorCode
    errorDescription = ConvertTo-FerryString $Job.ErrorDescription
  }
}

# PowerShell jobs of Move-VM/Move-VMStorage -AsJob live in this long-lived session until removed.
# Each is tracked by the Msvm_MigrationJob it drives (InstanceID -> PowerShell job id) and removed once
# that Msvm job has ended and get-jobs has returned its outcome: the outcome lives in Hyper-V's
# Msvm_MigrationJob, not in the PowerShell job, so a restarted agent adopts running moves by InstanceID
# (get-jobs) without these; a new session starts with none.
if ($null -eq (Get-Variable -Name FerryPsJobs -Scope Global -ErrorAction SilentlyContinue)) { $global:FerryPsJobs = @{} }

# Removes a PowerShell job of ours once it has finished (its move has ended, so it finishes too; it
# is given a few seconds): drains its output and errors, then removes it. A job still running is
# never stopped (stopping it could cancel the move): returns $false and is retried on the next call.
function Remove-FerryPsJob($PsJob) {
  if ($null -eq $PsJob) { return $true }
  $finished = @('Completed', 'Failed', 'Stopped')
  if ($finished -notcontains $PsJob.State.ToString()) { $null = Wait-Job -Job $PsJob -Timeout 3 }
  if ($finished -notcontains $PsJob.State.ToString()) { return $false }
  try { $null = Receive-Job -Job $PsJob -ErrorAction SilentlyContinue -WarningAction SilentlyContinue }
  catch { $null = $_ }
  Remove-Job -Job $PsJob -Force -ErrorAction SilentlyContinue
  return $true
}

# Removes the tracked PowerShell jobs whose Msvm_MigrationJob has ended (JobState 7+) or is gone.
function Remove-FerryEndedPsJobs($MigrationJobs) {
  $states = @{}
  foreach ($job in @($MigrationJobs)) { $states[[string]$job.InstanceID] = [int]$job.JobState }
  foreach ($id in @($global:FerryPsJobs.Keys)) {
    if ($states.ContainsKey($id) -and $states[$id] -lt 7) { continue }
    if (Remove-FerryPsJob (Get-Job -Id $global:FerryPsJobs[$id] -ErrorAction SilentlyContinue)) { $global:FerryPsJobs.Remove($id) }
  }
}

# After Move-VM/Move-VMStorage -AsJob: waits for the Msvm_MigrationJob Hyper-V creates for the VM
# (its InstanceID is the job id: it outlives this session), or for the PowerShell job to fail.
function Wait-FerryMigrationJob($PsJob, [string]$VmId, $KnownIds) {
  $deadline = (Get-Date).AddSeconds(30)
  while ($true) {
    foreach ($job in (Get-FerryMigrationJobs)) {
      if ([string]$job.VirtualSystemName -eq $VmId -and -not $KnownIds.ContainsKey([string]$job.InstanceID)) {
        # Tracked by the id Get-Job knows it by (whatever Job subclass the Hyper-V module returns).
        if ($null -ne $PsJob -and $null -ne $PsJob.Id) { $global:FerryPsJobs[[string]$job.InstanceID] = [int]$PsJob.Id }
        return (ConvertTo-FerryJob $job)
      }
    }
    if ($null -ne $PsJob -and $PsJob.State.ToString() -eq 'Failed') {
      $failure = $null
      try { Receive-Job -Job $PsJob -ErrorAction Stop | Out-Null }
      catch { $failure = $_ }
      $null = Remove-FerryPsJob $PsJob
      if ($null -ne $failure) { throw $failure }
      Stop-Ferry 'UNKNOWN' 'The migration failed before Hyper-V created its job.'
    }
    if ((Get-Date) -gt $deadline) {
      # Hyper-V created no job to follow: the PowerShell job goes (stopped if it still runs, as the
      # agent reports this move failed and must not leave it going unseen).
      if ($null -ne $PsJob -and $null -ne $PsJob.Id) { Remove-Job -Id ([int]$PsJob.Id) -Force -ErrorAction SilentlyContinue }
      Stop-Ferry 'UNKNOWN' 'Hyper-V did not create a migration job within 30 seconds.'
    }
    Start-Sleep -Milliseconds 100
  }
}

function Get-FerryKnownJobIds {
  $known = @{}
  foreach ($job in (Get-FerryMigrationJobs)) { $known[[string]$job.InstanceID] = $true }
  return $known
}
