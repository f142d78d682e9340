# Ferry's stub Hyper-V module: the cmdlets services/agent/ps/*.ps1 call, backed by a JSON state file
# instead of a Hyper-V host. Test-only (PowerShell 7). It reproduces the simulator's behaviour
# (services/agent/src/backends/simulator) closely enough for test/contract to hold both to the same
# assertions, but answers the way Hyper-V's cmdlets do: objects with the real property names, errors
# as ErrorRecords with Hyper-V's messages, migrations as Msvm_MigrationJob instances.
#
# The state file is a WorldDefinition (services/agent/src/backends/world.ts, bigints as decimal
# strings) plus the keys this module adds:
#   jobs:         Msvm_MigrationJob records (see New-StubJob)
#   events:       { <host>: [ { recordId, eventId, level, timeCreated, message, vmName } ] }
#   nextRecordId: { <host>: <next EventRecordID> }
#   faults:       { <vmName>: <HyperVErrorCode | "LONG_BLACKOUT"> } one-shot, consumed by the next move
#                 (SHUTDOWN_UNAVAILABLE: by the next Stop-VM, whose guest does not answer)
# Environment: FERRY_STUB_STATE (state file path), FERRY_STUB_HOST (the host this session is on).
# Jobs advance with wall-clock time scaled by the definition's timeScale; every call first settles
# the jobs that ended (moving VMs, failing jobs at Hyper-V's failure points, logging events).

Set-StrictMode -Version 1.0

class VirtualizationException : System.Exception {
  VirtualizationException([string]$Message, [int]$HResult) : base($Message) { $this.HResult = $HResult }
}

$script:VmStateNames = @{
  RUNNING = 'Running'; OFF = 'Off'; SAVED = 'Saved'; PAUSED = 'Paused'; STARTING = 'Starting'
  STOPPING = 'Stopping'; SAVING = 'Saving'; PAUSING = 'Pausing'; RESUMING = 'Resuming'; OTHER = 'Other'
}
# VM states that hold memory on their host; Hyper-V moves only from these plus Off and Saved.
$script:HoldsMemory = @('RUNNING', 'PAUSED', 'STARTING', 'STOPPING', 'SAVING', 'PAUSING', 'RESUMING')
$script:Movable = @('RUNNING', 'OFF', 'SAVED', 'PAUSED')
# VM states that carry processor state across a move.
$script:HasCpuState = @('RUNNING', 'PAUSED', 'SAVED')
$script:MigrationRule = 'VIRT-MIGL-In-TCP-NoScope'
$script:SmbRule = 'FPS-SMB-In-TCP'
$script:HostReserveBytes = [decimal]2 * 1024 * 1024 * 1024
$script:DiskBytesPerSecond = 400000000.0
$script:JobStates = @{ Running = 4; Completed = 7; Terminated = 8; Exception = 10 }
$script:JobTypes = @{ LIVE = 305; LIVE_WITH_STORAGE = 306; STORAGE = 307 }
$script:CacheKey = $null
$script:CacheState = $null

# Where each failure happens (HYPERV.md "Failures") and the event Hyper-V logs besides 21502.
$script:FailurePoints = @{
  MIGRATION_DISABLED = 'start'; NETWORK_UNREACHABLE = 'start'; AUTHENTICATION_FAILED = 'start'; PROCESSOR_INCOMPATIBLE = 'start'
  NETWORK_REFUSED = 'start'; NETWORK_TIMEOUT = 'start'; NETWORK_ACCESS_DENIED = 'start'
  MIGRATION_LIMIT_REACHED = 'start'; VM_NOT_FOUND = 'start'; INVALID_PARAMETER = 'start'; INVALID_VM_STATE = 'start'
  SWITCH_NOT_FOUND = 'early'; INSUFFICIENT_MEMORY = 'early'
  NETWORK_RESET = 'mid'; UNKNOWN = 'mid'; CANCELLED = 'mid'
  PATH_NOT_FOUND = 'late'
}
$script:FailureEvents = @{ SWITCH_NOT_FOUND = 21125; PATH_NOT_FOUND = 20413; MIGRATION_LIMIT_REACHED = 21501 }
$script:FailureOnDestination = @('SWITCH_NOT_FOUND', 'INSUFFICIENT_MEMORY', 'PATH_NOT_FOUND')
$script:PointPercent = @{ start = 0; early = 5; mid = 50; late = 95 }

# Hyper-V's texts (verbatim where HYPERV.md quotes them) and the HRESULT the exception carries.
function Get-StubFailure([string]$Code, $Ctx) {
  $d = $Ctx.destination
  switch ($Code) {
    'NETWORK_UNREACHABLE' { return @{ message = "Failed to establish a connection with host ${d}: host '$($Ctx.host)' has no migration network holding one of its addresses, and UseAnyNetworkForMigration is off. (0x80072741)."; hresult = '80072741'; category = 'ConnectionError' } }
    'MIGRATION_DISABLED' { return @{ message = "The virtual machine cannot be moved because virtual machine migration is not enabled on host '$($Ctx.host)'."; hresult = '80070005'; category = 'InvalidOperation' } }
    'AUTHENTICATION_FAILED' { return @{ message = "Failed to establish a connection with host ${d}: No credentials are available in the security package (0x8009030E)."; hresult = '8009030E'; category = 'AuthenticationError' } }
    'PROCESSOR_INCOMPATIBLE' { return @{ message = "Virtual machine ""$($Ctx.vmName)"" is using processor-specific features not supported on host ""$d""."; hresult = '80004005'; category = 'InvalidOperation' } }
    'SWITCH_NOT_FOUND' { return @{ message = "Could not find Ethernet switch '$($Ctx.switchName)'."; hresult = '80004005'; category = 'ObjectNotFound' } }
    'INSUFFICIENT_MEMORY' { return @{ message = 'Failed to create partition: Insufficient system resources exist to complete the requested service. (0x800705AA)'; hresult = '800705AA'; category = 'ResourceUnavailable' } }
    'NETWORK_REFUSED' { return @{ message = "Failed to establish a connection with host ${d}: No connection could be made because the target machine actively refused it. (0x8007274D)."; hresult = '8007274D'; category = 'ConnectionError' } }
    'NETWORK_TIMEOUT' { return @{ message = "Failed to establish a connection with host ${d}: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond. (0x8007274C)."; hresult = '8007274C'; category = 'OperationTimeout' } }
    'NETWORK_RESET' { return @{ message = "The connection with host $d was lost: An existing connection was forcibly closed by the remote host. (0x80072746)."; hresult = '80072746'; category = 'ConnectionError' } }
    'NETWORK_ACCESS_DENIED' { return @{ message = "Failed to establish a connection with host ${d}: An attempt was made to access a socket in a way forbidden by its access permissions. (0x8007271D)."; hresult = '8007271D'; category = 'PermissionDenied' } }
    'PATH_NOT_FOUND' {
      if ($Ctx.noSpace) { return @{ message = "'$($Ctx.vmName)' failed to register the configuration at '$($Ctx.path)': There is not enough space on the disk. (0x80070070)"; hresult = '80070003'; category = 'ObjectNotFound' } }
      return @{ message = "'$($Ctx.vmName)' failed to register the configuration at '$($Ctx.path)': The system cannot find the path specified. (0x80070003)"; hresult = '80070003'; category = 'ObjectNotFound' }
    }
    'MIGRATION_LIMIT_REACHED' {
      if ($Ctx.storage) { return @{ message = "Storage migration for '$($Ctx.vmName)' was not started at host '$($Ctx.host)' because storage migration limit ""$($Ctx.limit)"" was reached, please wait for completion of an ongoing migration operation."; hresult = '80004005'; category = 'LimitsExceeded' } }
      return @{ message = "Virtual machine migration for '$($Ctx.vmName)' was not started at host '$($Ctx.host)' because virtual machine migration limit ""$($Ctx.limit)"" was reached, please wait for completion of an ongoing migration operation."; hresult = '80004005'; category = 'LimitsExceeded' }
    }
    'VM_NOT_FOUND' { return @{ message = "Hyper-V was unable to find a virtual machine with ID '$($Ctx.vmId)'."; hresult = '80004005'; category = 'ObjectNotFound' } }
    'INVALID_PARAMETER' { return @{ message = 'The operation failed because a parameter is not valid. The parameter is incorrect. (0x80070057)'; hresult = '80070057'; category = 'InvalidArgument' } }
    'INVALID_VM_STATE' { return @{ message = "The operation cannot be performed while the virtual machine '$($Ctx.vmName)' is in its current state."; hresult = '80004005'; category = 'InvalidOperation' } }
    'CANCELLED' { return @{ message = "The migration of '$($Ctx.vmName)' was cancelled."; hresult = '80004005'; category = 'OperationStopped' } }
    default { return @{ message = 'The operation failed with an unexpected error. (0x80004005)'; hresult = '80004005'; category = 'NotSpecified' } }
  }
}

# ---------------------------------------------------------------------------------------------------
# State file

function Get-StubStatePath {
  if (-not $env:FERRY_STUB_STATE) { throw 'FerryHyperVStub: FERRY_STUB_STATE is not set' }
  $env:FERRY_STUB_STATE
}

function Get-StubHostName {
  if (-not $env:FERRY_STUB_HOST) { throw 'FerryHyperVStub: FERRY_STUB_HOST is not set' }
  $env:FERRY_STUB_HOST
}

function Get-StubNow { [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds() }

# Runs $Body against the state under an exclusive lock (several pwsh sessions share one file) and
# returns what it returns. The file is written back when $Write is set or settling changed it.
function Use-StubState([scriptblock]$Body, [switch]$Write) {
  # Locals carry a "stub" prefix: $Body runs in a child scope and must still see its caller's
  # variables ($Path, $Name ...), which same-named locals here would hide.
  $stubPath = Get-StubStatePath
  $stubLock = $null
  $stubDeadline = [DateTime]::UtcNow.AddSeconds(15)
  while ($null -eq $stubLock) {
    try { $stubLock = [IO.File]::Open("$stubPath.lock", 'OpenOrCreate', 'ReadWrite', 'None') }
    catch [System.IO.IOException] {
      if ([DateTime]::UtcNow -gt $stubDeadline) { throw }
      Start-Sleep -Milliseconds 2
    }
  }
  try {
    # The parsed state is kept while the file is unchanged (inventory reads it dozens of times).
    $stubFile = [IO.FileInfo]::new($stubPath)
    $stubKey = "$($stubFile.LastWriteTimeUtc.Ticks):$($stubFile.Length)"
    if ($stubKey -eq $script:CacheKey) { $stubState = $script:CacheState }
    else {
      $stubState = [IO.File]::ReadAllText($stubPath) | ConvertFrom-Json -AsHashtable -DateKind String
      foreach ($stubName in 'events', 'nextRecordId', 'faults', 'delegations') {
        if (-not $stubState.Contains($stubName) -or $null -eq $stubState[$stubName]) { $stubState[$stubName] = @{} }
      }
      if (-not $stubState.Contains('jobs')) { $stubState['jobs'] = @() }
    }
    $script:CacheKey = $null
    $stubSettled = Update-StubJobs $stubState
    $stubResult = & $Body $stubState
    if ($Write -or $stubSettled) {
      $stubTmp = "$stubPath.$PID.tmp"
      [IO.File]::WriteAllText($stubTmp, (ConvertTo-Json -InputObject $stubState -Depth 30 -Compress))
      [IO.File]::Move($stubTmp, $stubPath, $true)
      $stubFile = [IO.FileInfo]::new($stubPath)
      $stubKey = "$($stubFile.LastWriteTimeUtc.Ticks):$($stubFile.Length)"
    }
    $script:CacheState = $stubState
    $script:CacheKey = $stubKey
    $stubResult
  }
  finally { $stubLock.Dispose() }
}

# A host by name or FQDN, case-insensitive (as Windows resolves names).
function Get-StubHost($State, [string]$Name) {
  foreach ($h in $State.hosts) { if ($h.facts.name -eq $Name) { return $h } }
  foreach ($h in $State.hosts) { if ($h.facts.fqdn -and $h.facts.fqdn -eq $Name) { return $h } }
  $null
}

function Get-StubLocalHost($State) {
  $name = Get-StubHostName
  $h = Get-StubHost $State $name
  if ($null -eq $h) { throw "FerryHyperVStub: host '$name' is not in the state file" }
  $h
}

function Find-StubVm($State, [string]$VmId) {
  foreach ($h in $State.hosts) {
    foreach ($vm in $h.vms) { if ($vm.vmId -eq $VmId) { return @{ host = $h; vm = $vm } } }
  }
  $null
}

function Add-StubEvent($State, [string]$HostName, [int]$EventId, [string]$Level, [string]$Message, $VmName, $VmId = $null) {
  if (-not $State.events.Contains($HostName)) { $State.events[$HostName] = @() }
  $next = 1
  if ($State.nextRecordId.Contains($HostName)) { $next = [long]$State.nextRecordId[$HostName] }
  $State.events[$HostName] = @($State.events[$HostName]) + @(@{
      recordId = $next; eventId = $EventId; level = $Level
      timeCreated = [DateTime]::UtcNow.ToString('o'); message = $Message; vmName = $VmName; vmId = $VmId
    })
  $State.nextRecordId[$HostName] = $next + 1
}

# An ErrorRecord shaped like the Hyper-V module's (VirtualizationException, "<Id>,<cmdlet>").
function New-StubError([string]$Message, [string]$ErrorId, [string]$Category, [string]$HResult = '80004005') {
  $ex = [VirtualizationException]::new($Message, [Convert]::ToInt32($HResult, 16))
  [System.Management.Automation.ErrorRecord]::new($ex, $ErrorId, $Category, $null)
}

# Every stub cmdlet declares the real cmdlet's parameter sets (names, types where the stub can
# express them, Mandatory, Position, pipeline binding), copied from Microsoft's reference for
# Windows Server 2016 / Windows PowerShell 5.1 and cited above each cmdlet, so that PowerShell's own
# parameter binder refuses what the real cmdlet refuses: a parameter it lacks
# (NamedParameterNotFound) or parameters from sets that do not combine (AmbiguousParameterSet).
# Types the stub cannot load (CimSession, VMSnapshot, VMCompatibilityReport ...) are declared as
# objects. A real parameter the stub does not simulate fails loudly instead of being ignored.
$script:CommonParameterNames = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters

function Assert-StubSimulated($Bound, [string]$Cmdlet, [string[]]$Simulated) {
  foreach ($name in @($Bound.Keys)) {
    if ($name -in $script:CommonParameterNames -or $name -in $Simulated) { continue }
    throw "FerryHyperVStub: $Cmdlet -$name exists on the real cmdlet but is not simulated."
  }
}

function Get-StubLeaf([string]$Path) { ($Path -split '[\\/]')[-1] }
function Get-StubParent([string]$Path) {
  $p = $Path.Replace('/', '\')
  $i = $p.LastIndexOf('\')
  if ($i -le 0) { return $p }
  $p.Substring(0, $i)
}

function Test-UnderRoot([string]$Path, [string]$Root) {
  $p = $Path.Replace('/', '\').TrimEnd('\').ToLowerInvariant()
  $r = $Root.Replace('/', '\').TrimEnd('\').ToLowerInvariant()
  ($p -eq $r) -or $p.StartsWith($r + '\')
}

# The most specific volume holding $Path among a host's local volumes and the shared ones.
function Get-StubVolume($State, $HostDef, [string]$Path) {
  $best = $null
  $volumes = @()
  if ($null -ne $HostDef) { $volumes += @($HostDef.volumes) }
  $volumes += @($State.sharedVolumes)
  foreach ($v in $volumes) {
    if ((Test-UnderRoot $Path $v.root) -and ($null -eq $best -or $v.root.Length -gt $best.root.Length)) { $best = $v }
  }
  $best
}

function Get-StubVmMemory($Vm) {
  if ($Vm.state -in $script:HoldsMemory) {
    if ([decimal]$Vm.memoryAssignedBytes -gt 0) { return [decimal]$Vm.memoryAssignedBytes }
    return [decimal]$Vm.memoryStartupBytes
  }
  if ($Vm.state -eq 'SAVED') { return [decimal]$Vm.memoryStartupBytes }
  [decimal]0
}

# Capacity minus the host reserve, running VMs' memory and memory reserved by incoming moves.
function Get-StubAvailableMemory($State, $HostDef) {
  $used = $script:HostReserveBytes
  foreach ($vm in $HostDef.vms) { if ($vm.state -in $script:HoldsMemory) { $used += Get-StubVmMemory $vm } }
  foreach ($job in $State.jobs) {
    if ($job.jobState -eq $script:JobStates.Running -and $job.destinationHost -eq $HostDef.facts.name -and $job.sourceHost -ne $job.destinationHost) {
      $used += [decimal]$job.reservedMemoryBytes
    }
  }
  $free = [decimal]$HostDef.facts.memoryCapacityBytes - $used
  if ($free -lt 0) { $free = 0 }
  [long]$free
}

# ---------------------------------------------------------------------------------------------------
# Jobs (Msvm_MigrationJob). Progress is linear in time; a planned failure stops the job at its point.

function New-StubJob($State, [string]$Kind, $Vm, $Source, $Destination, [double]$Seconds) {
  $scale = [double]$State.timeScale
  if ($scale -le 0) { $scale = 1 }
  $job = @{
    instanceId = [guid]::NewGuid().ToString().ToUpperInvariant()
    jobType = $script:JobTypes[$Kind]
    vmId = $Vm.vmId
    vmName = $Vm.name
    sourceHost = $Source.facts.name
    destinationHost = $Destination.facts.name
    startedAt = Get-StubNow
    durationMs = [Math]::Max(1, [Math]::Round($Seconds * 1000 / $scale))
    failure = $null
    longBlackoutSeconds = $null
    storage = $null
    reservedMemoryBytes = 0
    jobState = $script:JobStates.Running
    percentComplete = 0
    errorCode = 0
    errorDescription = $null
    errorType = $null
  }
  $job
}

function Add-StubJob($State, $Job) { $State.jobs = @($State.jobs) + @($Job) }

# A failure planned into a job: where it stops and what it says.
function New-StubPlannedFailure([string]$Code, $Ctx) {
  $point = $script:FailurePoints[$Code]
  if (-not $point) { $point = 'mid' }
  $eventId = $null
  if ($script:FailureEvents.ContainsKey($Code)) { $eventId = $script:FailureEvents[$Code] }
  @{
    code = $Code; percent = $script:PointPercent[$point]; eventId = $eventId
    message = (Get-StubFailure $Code $Ctx).message
    onDestination = $Code -in $script:FailureOnDestination
  }
}

function Get-StubJobContext($Job) {
  @{ vmName = $Job.vmName; vmId = $Job.vmId; source = $Job.sourceHost; destination = $Job.destinationHost; storage = ($Job.jobType -eq 307) }
}

# The umbrella 21502 (and the specific event) on the hosts that saw the failure, as Hyper-V logs them.
function Write-StubFailureEvents($State, $Ctx, [string]$Detail, $EventId, [bool]$OnDestination) {
  $sides = @(, @('source', $Ctx.source))
  if ($OnDestination -and $Ctx.destination -ne $Ctx.source) { $sides += , @('destination', $Ctx.destination) }
  foreach ($side in $sides) {
    if ($Ctx.storage) { $umbrella = "Virtual machine storage migration operation for '$($Ctx.vmName)' failed. (Virtual machine ID $($Ctx.vmId)) $Detail" }
    else { $umbrella = "Virtual machine migration operation for '$($Ctx.vmName)' failed at migration $($side[0]) '$($side[1])'. (Virtual machine ID $($Ctx.vmId)) $Detail" }
    Add-StubEvent $State $side[1] 21502 'Error' $umbrella $Ctx.vmName $Ctx.vmId
    if ($null -ne $EventId) { Add-StubEvent $State $side[1] $EventId 'Error' "$Detail (Virtual machine ID $($Ctx.vmId))" $Ctx.vmName $Ctx.vmId }
  }
}

# Ends the jobs whose time has come; returns whether anything changed.
function Update-StubJobs($State) {
  $now = Get-StubNow
  $changed = $false
  foreach ($job in @($State.jobs | Sort-Object { [long]$_.startedAt })) {
    if ($job.jobState -ne $script:JobStates.Running) { continue }
    $fraction = ($now - [long]$job.startedAt) / [double]$job.durationMs
    $percent = [Math]::Min(99, [int][Math]::Floor($fraction * 100))
    if ($null -ne $job.failure -and $percent -ge [int]$job.failure.percent) {
      $f = $job.failure
      Write-StubFailureEvents $State (Get-StubJobContext $job) $f.message $f.eventId ([bool]$f.onDestination)
      $job.jobState = $script:JobStates.Exception
      if ($f.code -eq 'CANCELLED') { $job.jobState = $script:JobStates.Terminated }
      $job.percentComplete = [int]$f.percent
      $job.errorCode = 32768
      $job.errorDescription = $f.message
      $changed = $true
    }
    elseif ($fraction -ge 1) {
      Complete-StubJob $State $job
      $changed = $true
    }
    elseif ($percent -gt [int]$job.percentComplete) {
      $job.percentComplete = $percent
      $changed = $true
    }
  }
  $changed
}

function Complete-StubJob($State, $Job) {
  $Job.jobState = $script:JobStates.Completed
  $Job.percentComplete = 100
  $found = Find-StubVm $State $Job.vmId
  $source = Get-StubHost $State $Job.sourceHost
  $destination = Get-StubHost $State $Job.destinationHost
  if ($null -eq $found -or $found.host.facts.name -ne $source.facts.name) {
    $Job.jobState = $script:JobStates.Exception
    $Job.percentComplete = 99
    $Job.errorCode = 32768
    $Job.errorDescription = (Get-StubFailure 'VM_NOT_FOUND' @{ vmId = $Job.vmId }).message
    return
  }
  $vm = $found.vm
  if ($null -ne $Job.storage) {
    foreach ($move in $Job.storage.drives) {
      foreach ($d in $vm.hardDrives) {
        if ($d.path -ne $move.from) { continue }
        $from = Get-StubVolume $State $source $d.path
        $to = Get-StubVolume $State $destination $move.to
        if ($null -ne $from -and $null -ne $to -and -not [object]::ReferenceEquals($from, $to)) {
          $from.freeBytes = ([decimal]$from.freeBytes + [decimal]$d.sizeBytes).ToString()
          $to.freeBytes = ([Math]::Max([decimal]0, [decimal]$to.freeBytes - [decimal]$d.sizeBytes)).ToString()
        }
        $d.path = $move.to
      }
    }
    if ($Job.storage.vmPath) { $vm.path = $Job.storage.vmPath }
  }
  $seconds = (([long]$Job.durationMs) / 1000.0) * [double]$State.timeScale
  $secondsText = $seconds.ToString('0.0', [Globalization.CultureInfo]::InvariantCulture)
  if ($Job.jobType -eq 307) {
    Add-StubEvent $State $source.facts.name 20821 'Information' "Storage migration of '$($vm.name)' completed successfully in $secondsText seconds. (Virtual machine ID $($vm.vmId))" $vm.name $vm.vmId
    return
  }
  $source.vms = @($source.vms | Where-Object { $_.vmId -ne $Job.vmId })
  $destination.vms = @($destination.vms) + @($vm)
  foreach ($side in @(@($source, "to host '$($destination.facts.name)'"), @($destination, "from host '$($source.facts.name)'"))) {
    $hostName = $side[0].facts.name
    Add-StubEvent $State $hostName 20415 'Information' "Live migration of '$($vm.name)' $($side[1]) completed successfully in $secondsText seconds. (Virtual machine ID $($vm.vmId))" $vm.name $vm.vmId
    if ($null -ne $Job.longBlackoutSeconds) {
      $blackout = ([double]$Job.longBlackoutSeconds).ToString('0.0', [Globalization.CultureInfo]::InvariantCulture)
      Add-StubEvent $State $hostName 20417 'Warning' "'$($vm.name)' completed the live migration (Virtual machine ID $($vm.vmId)) with an unexpectedly long blackout time of $blackout seconds." $vm.name $vm.vmId
    }
  }
}

function Get-StubActiveJobs($State) { @($State.jobs | Where-Object { $_.jobState -eq $script:JobStates.Running }) }

function Use-StubFault($State, $Vm) {
  $name = [string]$Vm.name
  if (-not $State.faults.Contains($name)) { return $null }
  # The guest's fault, for Stop-VM (below), not a move's.
  if ($State.faults[$name] -eq 'SHUTDOWN_UNAVAILABLE') { return $null }
  $code = $State.faults[$name]
  $State.faults.Remove($name)
  $code
}

# Fastest link between two hosts (bytes/s) with the source's performance option, as the simulator has it.
function Get-StubBytesPerSecond($Source, $Destination) {
  $links = foreach ($h in $Source, $Destination) {
    $best = [double]0
    foreach ($a in $h.networkAdapters) { $best = [Math]::Max($best, [double]$a.linkSpeedBps) }
    if ($best -le 0) { $best = 1e9 }
    $best
  }
  $link = [Math]::Min($links[0], $links[1])
  switch ($Source.settings.performanceOption) {
    'TCPIP' { return [Math]::Min($link, 7e9) / 8 }
    'SMB' { return $link * 0.9 / 8 }
    default { return [Math]::Min(2 * $link, 9e9) / 8 }
  }
}

# ---------------------------------------------------------------------------------------------------
# Host cmdlets

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmhost?view=windowsserver2016-ps
function Get-VMHost {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName')]
  param(
    [Parameter(ParameterSetName = 'ComputerName', Position = 0)][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ComputerName', Position = 1)][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'CimSession', Mandatory, Position = 0)][object[]]$CimSession
  )
  Assert-StubSimulated $PSBoundParameters 'Get-VMHost' @()
  Use-StubState {
    param($state)
    $h = Get-StubLocalHost $state
    $s = $h.settings
    [pscustomobject]@{
      Name = $h.facts.name
      ComputerName = $h.facts.name
      FullyQualifiedDomainName = $h.facts.fqdn
      LogicalProcessorCount = [int]$h.facts.logicalProcessorCount
      MemoryCapacity = [long]$h.facts.memoryCapacityBytes
      VirtualMachineMigrationEnabled = [bool]$s.enabled
      VirtualMachineMigrationAuthenticationType = $(if ($s.authenticationType -eq 'KERBEROS') { 'Kerberos' } else { 'CredSSP' })
      VirtualMachineMigrationPerformanceOption = $(switch ($s.performanceOption) { 'TCPIP' { 'TCPIP' } 'SMB' { 'SMB' } default { 'Compression' } })
      MaximumVirtualMachineMigrations = [uint32]$s.maximumVirtualMachineMigrations
      MaximumStorageMigrations = [uint32]$s.maximumStorageMigrations
      UseAnyNetworkForMigration = [bool]$s.useAnyNetworkForMigration
      VirtualMachinePath = $h.facts.virtualMachinePath
      VirtualHardDiskPath = $h.facts.virtualHardDiskPath
    }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmhostsupportedversion?view=windowsserver2016-ps
function Get-VMHostSupportedVersion {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName')]
  param(
    [Parameter(ParameterSetName = 'ComputerName', Position = 0)][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ComputerName', Position = 1)][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'CimSession', Mandatory, Position = 0)][object[]]$CimSession,
    [switch]$Default
  )
  Assert-StubSimulated $PSBoundParameters 'Get-VMHostSupportedVersion' @()
  $versions = Use-StubState { param($state) @((Get-StubLocalHost $state).facts.supportedVmVersions) }
  foreach ($v in $versions) { [pscustomobject]@{ Name = "Microsoft Windows Server, version $v"; Version = [version]$v; IsDefault = $false } }
}

# https://learn.microsoft.com/powershell/module/hyper-v/set-vmhost?view=windowsserver2016-ps
# (the enums MigrationAuthenticationType and VMMigrationPerformance are strings here, validated below).
function Set-VMHost {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'ComputerName', Position = 0)][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ComputerName', Position = 1)][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'CimSession', Mandatory, Position = 0)][object[]]$CimSession,
    [uint32]$MaximumStorageMigrations,
    [uint32]$MaximumVirtualMachineMigrations,
    [string]$VirtualMachineMigrationAuthenticationType,
    [bool]$UseAnyNetworkForMigration,
    [string]$VirtualMachineMigrationPerformanceOption,
    [timespan]$ResourceMeteringSaveInterval,
    [string]$VirtualHardDiskPath,
    [string]$VirtualMachinePath,
    [string]$MacAddressMaximum,
    [string]$MacAddressMinimum,
    [string]$FibreChannelWwnn,
    [string]$FibreChannelWwpnMaximum,
    [string]$FibreChannelWwpnMinimum,
    [bool]$NumaSpanningEnabled,
    [bool]$EnableEnhancedSessionMode,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Set-VMHost' @('MaximumStorageMigrations', 'MaximumVirtualMachineMigrations', 'VirtualMachineMigrationAuthenticationType', 'UseAnyNetworkForMigration', 'VirtualMachineMigrationPerformanceOption')
  $bound = $PSBoundParameters
  $bad = $null
  if ($bound.ContainsKey('VirtualMachineMigrationAuthenticationType') -and $VirtualMachineMigrationAuthenticationType -notin 'CredSSP', 'Kerberos') { $bad = 'VirtualMachineMigrationAuthenticationType' }
  if ($bound.ContainsKey('VirtualMachineMigrationPerformanceOption') -and $VirtualMachineMigrationPerformanceOption -notin 'TCPIP', 'Compression', 'SMB') { $bad = 'VirtualMachineMigrationPerformanceOption' }
  foreach ($n in 'MaximumVirtualMachineMigrations', 'MaximumStorageMigrations') {
    if ($bound.ContainsKey($n) -and ($bound[$n] -lt 1 -or $bound[$n] -gt [uint32]::MaxValue)) { $bad = $n }
  }
  if ($bad) {
    $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot validate argument on parameter '$bad'." 'ParameterArgumentValidationError' 'InvalidArgument' '80070057'))
  }
  Use-StubState -Write {
    param($state)
    $s = (Get-StubLocalHost $state).settings
    if ($bound.ContainsKey('VirtualMachineMigrationAuthenticationType')) { $s.authenticationType = $VirtualMachineMigrationAuthenticationType.ToUpperInvariant() }
    if ($bound.ContainsKey('VirtualMachineMigrationPerformanceOption')) { $s.performanceOption = $VirtualMachineMigrationPerformanceOption.ToUpperInvariant() }
    if ($bound.ContainsKey('MaximumVirtualMachineMigrations')) { $s.maximumVirtualMachineMigrations = [long]$MaximumVirtualMachineMigrations }
    if ($bound.ContainsKey('MaximumStorageMigrations')) { $s.maximumStorageMigrations = [long]$MaximumStorageMigrations }
    if ($bound.ContainsKey('UseAnyNetworkForMigration')) { $s.useAnyNetworkForMigration = [bool]$UseAnyNetworkForMigration }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/enable-vmmigration?view=windowsserver2016-ps
function Enable-VMMigration {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName', SupportsShouldProcess)]
  param(
    [switch]$Passthru,
    [Parameter(ParameterSetName = 'ComputerName', Position = 0)][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ComputerName', Position = 1)][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'CimSession', Mandatory, Position = 0)][object[]]$CimSession
  )
  Assert-StubSimulated $PSBoundParameters 'Enable-VMMigration' @()
  Use-StubState -Write { param($state) (Get-StubLocalHost $state).settings.enabled = $true }
}

# https://learn.microsoft.com/powershell/module/hyper-v/disable-vmmigration?view=windowsserver2016-ps
function Disable-VMMigration {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'ComputerName', Position = 0)][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ComputerName', Position = 1)][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'CimSession', Mandatory, Position = 0)][object[]]$CimSession,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Disable-VMMigration' @()
  Use-StubState -Write { param($state) (Get-StubLocalHost $state).settings.enabled = $false }
}

function Test-StubSubnet([string]$Subnet) {
  if ($Subnet -notmatch '^(?<ip>[0-9A-Fa-f:.]+)/(?<len>\d{1,3})$') { return $false }
  $ip = $null
  if (-not [System.Net.IPAddress]::TryParse($Matches.ip, [ref]$ip)) { return $false }
  $max = 32
  if ($ip.AddressFamily -eq 'InterNetworkV6') { $max = 128 }
  [int]$Matches.len -le $max
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmmigrationnetwork?view=windowsserver2016-ps
function Get-VMMigrationNetwork {
  [CmdletBinding()]
  param(
    [object[]]$CimSession,
    [string[]]$ComputerName,
    [pscredential[]]$Credential,
    [Parameter(Position = 0)][string[]]$Subnet,
    [uint32[]]$Priority
  )
  Assert-StubSimulated $PSBoundParameters 'Get-VMMigrationNetwork' @('Subnet', 'Priority')
  $networks = Use-StubState { param($state) @((Get-StubLocalHost $state).settings.networks) }
  foreach ($n in $networks) {
    if ($PSBoundParameters.ContainsKey('Subnet') -and -not @($Subnet | Where-Object { $n.subnet -like $_ }).Count) { continue }
    if ($PSBoundParameters.ContainsKey('Priority') -and ($null -eq $n.priority -or [uint32]$n.priority -notin $Priority)) { continue }
    [pscustomobject]@{ Subnet = $n.subnet; Priority = $(if ($null -eq $n.priority) { $null } else { [uint32]$n.priority }) }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/add-vmmigrationnetwork?view=windowsserver2016-ps
function Add-VMMigrationNetwork {
  [CmdletBinding(SupportsShouldProcess)]
  param(
    [object[]]$CimSession,
    [Parameter(Mandatory, Position = 0)][string]$Subnet,
    [Parameter(Position = 1)][uint32]$Priority,
    [switch]$Passthru,
    [string[]]$ComputerName,
    [pscredential[]]$Credential
  )
  Assert-StubSimulated $PSBoundParameters 'Add-VMMigrationNetwork' @('Subnet', 'Priority')
  if (-not (Test-StubSubnet $Subnet)) {
    $PSCmdlet.ThrowTerminatingError((New-StubError "The subnet '$Subnet' is not a valid IPv4 or IPv6 subnet. The parameter is incorrect. (0x80070057)" 'InvalidParameter' 'InvalidArgument' '80070057'))
  }
  $p = $null
  if ($PSBoundParameters.ContainsKey('Priority')) { $p = [long]$Priority }
  Use-StubState -Write {
    param($state)
    $s = (Get-StubLocalHost $state).settings
    $s.networks = @($s.networks) + @(@{ subnet = $Subnet; priority = $p })
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/set-vmmigrationnetwork?view=windowsserver2016-ps
# -NewSubnet and -NewPriority; there is no -Priority.
function Set-VMMigrationNetwork {
  [CmdletBinding(DefaultParameterSetName = 'ComputerName', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'ComputerName')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ComputerName')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'CimSession')][object[]]$CimSession,
    [Parameter(Mandatory, Position = 0)][string]$Subnet,
    [Parameter(Position = 1)][string]$NewSubnet,
    [uint32]$NewPriority,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Set-VMMigrationNetwork' @('Subnet', 'NewSubnet', 'NewPriority')
  if ($PSBoundParameters.ContainsKey('NewSubnet') -and -not (Test-StubSubnet $NewSubnet)) {
    $PSCmdlet.ThrowTerminatingError((New-StubError "The subnet '$NewSubnet' is not a valid IPv4 or IPv6 subnet. The parameter is incorrect. (0x80070057)" 'InvalidParameter' 'InvalidArgument' '80070057'))
  }
  $bound = $PSBoundParameters
  Use-StubState -Write {
    param($state)
    foreach ($n in (Get-StubLocalHost $state).settings.networks) {
      if ($n.subnet -notlike $Subnet) { continue }
      if ($bound.ContainsKey('NewPriority')) { $n.priority = [long]$NewPriority }
      if ($bound.ContainsKey('NewSubnet')) { $n.subnet = $NewSubnet }
    }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/remove-vmmigrationnetwork?view=windowsserver2016-ps
function Remove-VMMigrationNetwork {
  [CmdletBinding(SupportsShouldProcess)]
  param(
    [Parameter(Mandatory, Position = 0)][string]$Subnet,
    [object[]]$CimSession,
    [string[]]$ComputerName,
    [pscredential[]]$Credential,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Remove-VMMigrationNetwork' @('Subnet')
  Use-StubState -Write {
    param($state)
    $s = (Get-StubLocalHost $state).settings
    $s.networks = @($s.networks | Where-Object { $_.subnet -ne $Subnet })
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmswitch?view=windowsserver2016-ps
function Get-VMSwitch {
  [CmdletBinding(DefaultParameterSetName = 'Name')]
  param(
    [Parameter(ParameterSetName = 'Name', Position = 0)][string]$Name,
    [Parameter(ParameterSetName = 'Id', Position = 0)][guid[]]$Id,
    [Parameter(Position = 1)][string[]]$ResourcePoolName,
    [string[]]$SwitchType,
    [object[]]$CimSession,
    [string[]]$ComputerName,
    [pscredential[]]$Credential
  )
  Assert-StubSimulated $PSBoundParameters 'Get-VMSwitch' @()
  $switches = Use-StubState { param($state) @((Get-StubLocalHost $state).switches) }
  foreach ($s in $switches) { [pscustomobject]@{ Name = $s.name; SwitchType = $s.switchType; Id = [guid]::Empty } }
}

# ---------------------------------------------------------------------------------------------------
# VM cmdlets

function ConvertTo-StubVm($Vm, [string]$HostName) {
  [pscustomobject]@{
    PSTypeName = 'Microsoft.HyperV.PowerShell.VirtualMachine'
    Name = $Vm.name
    Id = [guid]$Vm.vmId
    VMId = [guid]$Vm.vmId
    State = $script:VmStateNames[[string]$Vm.state]
    Status = $Vm.status
    CPUUsage = [int]$Vm.cpuUsage
    MemoryAssigned = [long]$Vm.memoryAssignedBytes
    MemoryStartup = [long]$Vm.memoryStartupBytes
    Uptime = [TimeSpan]::FromSeconds([double]$Vm.uptimeSeconds)
    Generation = [int]$Vm.generation
    Version = [string]$Vm.configurationVersion
    Path = $Vm.path
    ComputerName = $HostName
    IsClustered = [bool]$Vm.isClustered
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vm?view=windowsserver2016-ps
function Get-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name')]
  param(
    [Parameter(ParameterSetName = 'Name', Position = 0, ValueFromPipeline)][string[]]$Name,
    [Parameter(ParameterSetName = 'Name')][Parameter(ParameterSetName = 'Id')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'Name')][Parameter(ParameterSetName = 'Id')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'Name')][Parameter(ParameterSetName = 'Id')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'Id', Position = 0)][Nullable[guid]]$Id,
    [Parameter(ParameterSetName = 'ClusterObject', Mandatory, Position = 0, ValueFromPipeline)][psobject]$ClusterObject
  )
  Assert-StubSimulated $PSBoundParameters 'Get-VM' @('Name', 'Id')
  $hostName = Get-StubHostName
  $vms = Use-StubState { param($state) @((Get-StubLocalHost $state).vms) }
  if ($PSBoundParameters.ContainsKey('Id')) {
    $match = @($vms | Where-Object { [guid]$_.vmId -eq $Id })
    if ($match.Count -eq 0) {
      $PSCmdlet.ThrowTerminatingError((New-StubError "Hyper-V was unable to find a virtual machine with ID ""$Id""." 'InvalidParameter' 'ObjectNotFound'))
    }
    return ConvertTo-StubVm $match[0] $hostName
  }
  foreach ($vm in $vms) {
    if ($Name -and -not @($Name | Where-Object { $vm.name -like $_ }).Count) { continue }
    ConvertTo-StubVm $vm $hostName
  }
}

# The stub's view of a VM argument: the state-file VM for -VM <object>.
function Resolve-StubVm($State, $VmObject) {
  $id = [string]$VmObject.Id
  $h = Get-StubLocalHost $State
  foreach ($vm in $h.vms) { if ($vm.vmId -eq $id) { return $vm } }
  throw (New-StubError "Hyper-V was unable to find a virtual machine with ID ""$id""." 'InvalidParameter' 'ObjectNotFound')
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmharddiskdrive?view=windowsserver2016-ps
function Get-VMHardDiskDrive {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  param(
    [Parameter(ParameterSetName = 'VMName')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'VMName')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'VMName', Mandatory, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject[]]$VM,
    [Parameter(ParameterSetName = 'VMSnapshot', Mandatory, Position = 0, ValueFromPipeline)][psobject]$VMSnapshot,
    [Parameter(ParameterSetName = 'VMDriveController', Mandatory, Position = 0, ValueFromPipeline)][psobject[]]$VMDriveController,
    [int]$ControllerLocation,
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'VMObject')][Parameter(ParameterSetName = 'VMSnapshot')][int]$ControllerNumber,
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'VMObject')][Parameter(ParameterSetName = 'VMSnapshot')][string]$ControllerType
  )
  process {
    Assert-StubSimulated $PSBoundParameters 'Get-VMHardDiskDrive' @('VM')
    foreach ($one in $VM) {
      $target = Use-StubState { param($state) Resolve-StubVm $state $one }
      $i = 0
      foreach ($d in $target.hardDrives) {
        [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.HardDiskDrive'; VMName = $target.name; ControllerType = 'SCSI'; ControllerNumber = 0; ControllerLocation = $i; Path = $d.path }
        $i++
      }
    }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vhd?view=windowsserver2016-ps
function Get-VHD {
  [CmdletBinding(DefaultParameterSetName = 'Path')]
  param(
    [Parameter(ParameterSetName = 'Path', Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)][Alias('FullName')][string[]]$Path,
    [Parameter(ParameterSetName = 'Disk', Mandatory, Position = 0)][uint32]$DiskNumber,
    [Parameter(ParameterSetName = 'VMId', Mandatory, Position = 0)][guid[]]$VMId,
    [object[]]$CimSession,
    [string[]]$ComputerName,
    [pscredential[]]$Credential
  )
  Assert-StubSimulated $PSBoundParameters 'Get-VHD' @('Path')
  if ($Path.Count -ne 1) { throw 'FerryHyperVStub: Get-VHD simulates one path at a time.' }
  $Path = [string]$Path[0]
  $size = Use-StubState {
    param($state)
    foreach ($h in $state.hosts) { foreach ($vm in $h.vms) { foreach ($d in $vm.hardDrives) { if ($d.path -eq $Path) { return $d.sizeBytes } } } }
    $null
  }
  if ($null -eq $size) {
    $PSCmdlet.ThrowTerminatingError((New-StubError "The system cannot find the path specified. (0x80070003)" 'ObjectNotFound' 'ObjectNotFound' '80070003'))
  }
  [pscustomobject]@{ Path = $Path; VhdFormat = 'VHDX'; VhdType = 'Dynamic'; Size = [uint64]$size; FileSize = [uint64]$size }
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmnetworkadapter?view=windowsserver2016-ps
function Get-VMNetworkAdapter {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  param(
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'VMObject')][bool]$IsLegacy,
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'ManagementOS')][Parameter(ParameterSetName = 'All')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'ManagementOS')][Parameter(ParameterSetName = 'All')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'VMName')][Parameter(ParameterSetName = 'ManagementOS')][Parameter(ParameterSetName = 'All')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'VMName', Mandatory, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject[]]$VM,
    [Parameter(ParameterSetName = 'VMSnapshot', Mandatory, ValueFromPipeline)][psobject]$VMSnapshot,
    [Parameter(ParameterSetName = 'VMName', Position = 1)][Parameter(ParameterSetName = 'VMObject', Position = 1)][Parameter(ParameterSetName = 'ManagementOS', Position = 0)][Parameter(ParameterSetName = 'All', Position = 0)][Parameter(ParameterSetName = 'VMSnapshot', Position = 0)][string]$Name,
    [Parameter(ParameterSetName = 'ManagementOS')][switch]$ManagementOS,
    [Parameter(ParameterSetName = 'ManagementOS')][string]$SwitchName,
    [Parameter(ParameterSetName = 'All')][switch]$All
  )
  process {
    Assert-StubSimulated $PSBoundParameters 'Get-VMNetworkAdapter' @('VM')
    foreach ($one in $VM) {
      $target = Use-StubState { param($state) Resolve-StubVm $state $one }
      foreach ($s in $target.switchNames) { [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.VMNetworkAdapter'; Name = 'Network Adapter'; VMName = $target.name; SwitchName = $s } }
    }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/get-vmprocessor?view=windowsserver2016-ps
function Get-VMProcessor {
  [CmdletBinding(DefaultParameterSetName = 'VMName')]
  param(
    [Parameter(ParameterSetName = 'VMName')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'VMName')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'VMName', Mandatory, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMSnapshot', Mandatory, Position = 0, ValueFromPipeline)][psobject]$VMSnapshot,
    [Parameter(ParameterSetName = 'VMObject', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject[]]$VM
  )
  process {
    Assert-StubSimulated $PSBoundParameters 'Get-VMProcessor' @('VM')
    foreach ($one in $VM) {
      $target = Use-StubState { param($state) Resolve-StubVm $state $one }
      [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.VMProcessor'; VMName = $target.name; Count = 2; CompatibilityForMigrationEnabled = [bool]$target.processorCompatibilityForMigration }
    }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/set-vmprocessor?view=windowsserver2016-ps
# (-Perfmon is in the 2016 reference's VMName set only.)
function Set-VMProcessor {
  [CmdletBinding(DefaultParameterSetName = 'VMName', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'VMName')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'VMName')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'VMName')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'VMName', Mandatory, Position = 0)][string[]]$VMName,
    [Parameter(ParameterSetName = 'VMObject', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject[]]$VM,
    [Parameter(ParameterSetName = 'VMProcessor', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VMProcessor')][psobject[]]$VMProcessor,
    [long]$Count,
    [bool]$CompatibilityForMigrationEnabled,
    [bool]$CompatibilityForOlderOperatingSystemsEnabled,
    [long]$HwThreadCountPerCore,
    [long]$Maximum,
    [long]$Reserve,
    [int]$RelativeWeight,
    [int]$MaximumCountPerNumaNode,
    [int]$MaximumCountPerNumaSocket,
    [string]$ResourcePoolName,
    [Parameter(ParameterSetName = 'VMName')][string]$Perfmon,
    [bool]$EnableHostResourceProtection,
    [bool]$ExposeVirtualizationExtensions,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Set-VMProcessor' @('VM', 'CompatibilityForMigrationEnabled')
  if ($VM.Count -ne 1) { throw 'FerryHyperVStub: Set-VMProcessor simulates one VM at a time.' }
  $one = $VM[0]
  $enabled = $null
  if ($PSBoundParameters.ContainsKey('CompatibilityForMigrationEnabled')) { $enabled = $CompatibilityForMigrationEnabled }
  $failure = Use-StubState -Write {
    param($state)
    $target = Resolve-StubVm $state $one
    $busy = @(Get-StubActiveJobs $state | Where-Object { $_.vmId -eq $target.vmId }).Count -gt 0
    if ($target.state -ne 'OFF' -or $busy) {
      return "Failed to modify device 'Processor'. The operation cannot be performed while the virtual machine '$($target.name)' is in its current state."
    }
    if ($null -ne $enabled) { $target.processorCompatibilityForMigration = [bool]$enabled }
    $null
  }
  if ($failure) { $PSCmdlet.ThrowTerminatingError((New-StubError $failure 'InvalidState' 'InvalidOperation')) }
}

# Save-VM / Stop-VM on the state file: the VM no longer runs here, so like Hyper-V it reports no
# assigned memory and no uptime (its memory is free on the host). A VM that moves, or is in a
# transitional state, is refused as Hyper-V refuses it.
function Set-StubVmParked($Target, [string]$To) {
  $Target.state = $To
  $Target.memoryAssignedBytes = '0'
  $Target.cpuUsage = 0
  $Target.uptimeSeconds = 0
}

function Get-StubPowerRefusal($State, $Target, [string[]]$Allowed) {
  $busy = @(Get-StubActiveJobs $State | Where-Object { $_.vmId -eq $Target.vmId }).Count -gt 0
  if ($busy -or $Target.state -notin $Allowed) {
    return "The operation cannot be performed while the virtual machine '$($Target.name)' is in its current state."
  }
  $null
}

# https://learn.microsoft.com/powershell/module/hyper-v/save-vm?view=windowsserver2016-ps
function Save-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'Name')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'Name')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'Name', Mandatory, Position = 0, ValueFromPipeline)][Alias('VMName')][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject[]]$VM,
    [switch]$AsJob,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Save-VM' @('VM')
  if ($VM.Count -ne 1) { throw 'FerryHyperVStub: Save-VM simulates one VM at a time.' }
  $one = $VM[0]
  $failure = Use-StubState -Write {
    param($state)
    $target = Resolve-StubVm $state $one
    $refusal = Get-StubPowerRefusal $state $target @('RUNNING', 'PAUSED')
    if ($refusal) { return $refusal }
    Set-StubVmParked $target 'SAVED'
    $null
  }
  if ($failure) { $PSCmdlet.ThrowTerminatingError((New-StubError $failure 'InvalidState' 'InvalidOperation')) }
}

# https://learn.microsoft.com/powershell/module/hyper-v/stop-vm?view=windowsserver2016-ps
# Only the guest shutdown is simulated (no -Force, -TurnOff, -Save). A guest that does not answer
# (fault SHUTDOWN_UNAVAILABLE, one-shot) makes Stop-VM ask whether to turn the VM off; in the agent's
# non-interactive session that question fails the call and the VM keeps running.
function Stop-VM {
  [CmdletBinding(DefaultParameterSetName = 'Name', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'Name')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'Name')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'Name')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'Name', Mandatory, Position = 0, ValueFromPipeline)][Alias('VMName')][string[]]$Name,
    [Parameter(ParameterSetName = 'VMObject', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject[]]$VM,
    [switch]$Save,
    [switch]$TurnOff,
    [switch]$Force,
    [switch]$AsJob,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Stop-VM' @('VM')
  if ($VM.Count -ne 1) { throw 'FerryHyperVStub: Stop-VM simulates one VM at a time.' }
  $one = $VM[0]
  $failure = Use-StubState -Write {
    param($state)
    $target = Resolve-StubVm $state $one
    $refusal = Get-StubPowerRefusal $state $target @('RUNNING')
    if ($refusal) { return @{ message = $refusal; id = 'InvalidState'; category = 'InvalidOperation' } }
    $name = [string]$target.name
    if ($state.faults.Contains($name) -and $state.faults[$name] -eq 'SHUTDOWN_UNAVAILABLE') {
      $state.faults.Remove($name)
      return @{
        message = "The virtual machine '$name' could not be shut down: its guest did not answer the shutdown request, and turning it off needs a confirmation. PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
        id = 'HostException'; category = 'InvalidOperation'
      }
    }
    Set-StubVmParked $target 'OFF'
    $null
  }
  if ($failure) { $PSCmdlet.ThrowTerminatingError((New-StubError $failure.message $failure.id $failure.category)) }
}

function Test-StubSwitchMissing($Vm, $Destination) {
  foreach ($s in $Vm.switchNames) {
    if (-not @($Destination.switches | Where-Object { $_.name -eq $s }).Count) { return $s }
  }
  $null
}

# Compare-VM: what would stop a VM from moving to a host, without moving it.
# https://learn.microsoft.com/powershell/module/hyper-v/compare-vm?view=windowsserver2016-ps
function Compare-VM {
  [CmdletBinding(DefaultParameterSetName = 'NameSingleDestination', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'Register')][Parameter(ParameterSetName = 'Copy')][Parameter(ParameterSetName = 'NameMultipleDestinations')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'Register')][Parameter(ParameterSetName = 'Copy')][Parameter(ParameterSetName = 'NameMultipleDestinations')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'Register')][Parameter(ParameterSetName = 'Copy')][object[]]$CimSession,
    [switch]$AsJob,
    [Parameter(ParameterSetName = 'NameSingleDestination', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameMultipleDestinations', Mandatory, Position = 0)][string]$Name,
    [Parameter(ParameterSetName = 'VMMultipleDestinations', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMSingleDestination', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject]$VM,
    [Parameter(ParameterSetName = 'NameSingleDestination', Mandatory, Position = 1)][Parameter(ParameterSetName = 'NameMultipleDestinations', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMMultipleDestinations', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMSingleDestination', Mandatory, Position = 1)][string]$DestinationHost,
    [Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession', Mandatory, Position = 1)][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession', Mandatory, Position = 1)][object]$DestinationCimSession,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMSingleDestination')][pscredential]$DestinationCredential,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][switch]$IncludeStorage,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][string]$DestinationStoragePath,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][string]$ResourcePoolName,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][switch]$RetainVhdCopiesOnSource,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession', Mandatory)][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession', Mandatory)][Parameter(ParameterSetName = 'Copy')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][string]$VirtualMachinePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'Copy')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][string]$SnapshotFilePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'Copy')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][string]$SmartPagingFilePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][hashtable[]]$Vhds,
    [Parameter(ParameterSetName = 'Register', Mandatory, Position = 0)][Parameter(ParameterSetName = 'Copy', Mandatory, Position = 0)][string]$Path,
    [Parameter(ParameterSetName = 'Register')][switch]$Register,
    [Parameter(ParameterSetName = 'Copy', Position = 1)][string]$VhdDestinationPath,
    [Parameter(ParameterSetName = 'Copy')][switch]$Copy,
    [Parameter(ParameterSetName = 'Copy')][string]$VhdSourcePath,
    [Parameter(ParameterSetName = 'Copy')][switch]$GenerateNewId,
    [Parameter(ParameterSetName = 'CompatibilityReport', Mandatory, Position = 0)][psobject]$CompatibilityReport
  )
  Assert-StubSimulated $PSBoundParameters 'Compare-VM' @('VM', 'DestinationHost', 'IncludeStorage')
  if ($IncludeStorage) { throw 'FerryHyperVStub: Compare-VM -IncludeStorage is not simulated.' }
  $result = Use-StubState {
    param($state)
    $target = Resolve-StubVm $state $VM
    $source = Get-StubLocalHost $state
    $destination = Get-StubHost $state $DestinationHost
    if ($null -eq $destination) { return @{ error = "Failed to establish a connection with host ${DestinationHost}: No such host is known. (0x80072AF9)." } }
    $ctx = @{ vmName = $target.name; vmId = $target.vmId; source = $source.facts.name; destination = $destination.facts.name }
    $issues = @()
    foreach ($s in $target.switchNames) {
      if (-not @($destination.switches | Where-Object { $_.name -eq $s }).Count) {
        $ctx.switchName = $s
        $issues += [pscustomobject]@{ Message = (Get-StubFailure 'SWITCH_NOT_FOUND' $ctx).message; MessageId = 33012; Source = [pscustomobject]@{ Name = 'Network Adapter'; SwitchName = $s } }
      }
    }
    $live = $target.state -in $script:HasCpuState
    if ($live -and (Test-StubCrossVendor $source $destination)) {
      $issues += [pscustomobject]@{ Message = (Get-StubFailure 'PROCESSOR_INCOMPATIBLE' $ctx).message; MessageId = 24004; Source = [pscustomobject]@{ Name = 'Processor' } }
    }
    if ($target.state -in $script:HoldsMemory -and (Get-StubAvailableMemory $state $destination) -lt (Get-StubVmMemory $target)) {
      $issues += [pscustomobject]@{ Message = (Get-StubFailure 'INSUFFICIENT_MEMORY' $ctx).message; MessageId = 3050; Source = [pscustomobject]@{ Name = 'Memory' } }
    }
    if ([string]$target.configurationVersion -notin @($destination.facts.supportedVmVersions)) {
      $issues += [pscustomobject]@{ Message = "The virtual machine '$($target.name)' has configuration version $($target.configurationVersion), which host '$($destination.facts.name)' does not support."; MessageId = 24016; Source = [pscustomobject]@{ Name = $target.name } }
    }
    @{ issues = $issues }
  }
  if ($result.Contains('error')) {
    $PSCmdlet.ThrowTerminatingError((New-StubError $result.error 'Unspecified' 'ConnectionError' '80072AF9'))
  }
  [pscustomobject]@{ OperationType = 'MoveVirtualMachine'; Destination = $DestinationHost; Incompatibilities = @($result.issues) }
}

# A start-time failure: logged (21502 and the specific event) on the source, returned as an ErrorRecord.
function New-StubStartError($State, [string]$Code, $Ctx, [string]$Cmdlet) {
  $f = Get-StubFailure $Code $Ctx
  $eventId = $null
  if ($script:FailureEvents.ContainsKey($Code)) { $eventId = $script:FailureEvents[$Code] }
  Write-StubFailureEvents $State $Ctx $f.message $eventId $false
  New-StubError $f.message $f.category $f.category $f.hresult
}

function New-StubParameterError([string]$Message, [string]$Cmdlet) {
  New-StubError "$Message The parameter is incorrect. (0x80070057)" 'InvalidParameter' 'InvalidArgument' '80070057'
}

function Test-StubVmBusy($State, $Vm) {
  ($Vm.state -notin $script:Movable) -or @(Get-StubActiveJobs $State | Where-Object { $_.vmId -eq $Vm.vmId }).Count -gt 0
}

# Live moves stay within one CPU vendor, with or without processor compatibility mode (it only
# masks newer features of the same vendor). Unknown vendors are not refused.
function Test-StubCrossVendor($Source, $Destination) {
  $a = [string]$Source.facts.cpuVendor
  $b = [string]$Destination.facts.cpuVendor
  ($a -ne $b) -and $a -ne 'OTHER' -and $b -ne 'OTHER'
}

function Test-StubSubnetContains([string]$Subnet, [string]$Address) {
  if ($Subnet -notmatch '^(?<ip>[0-9A-Fa-f:.]+)/(?<len>\d{1,3})$') { return $false }
  $len = [int]$Matches.len
  $net = $null
  $ip = $null
  if (-not [System.Net.IPAddress]::TryParse($Matches.ip, [ref]$net) -or -not [System.Net.IPAddress]::TryParse($Address, [ref]$ip)) { return $false }
  if ($net.AddressFamily -ne $ip.AddressFamily) { return $false }
  $x = $net.GetAddressBytes()
  $y = $ip.GetAddressBytes()
  for ($i = 0; $i -lt $x.Length; $i++) {
    $bits = [Math]::Min(8, [Math]::Max(0, $len - 8 * $i))
    $mask = [byte]((0xFF -shl (8 - $bits)) -band 0xFF)
    if (($x[$i] -band $mask) -ne ($y[$i] -band $mask)) { return $false }
  }
  $true
}

# With UseAnyNetworkForMigration off, a host migrates only over its listed networks that hold one of
# its addresses; with none it can neither send nor receive.
function Test-StubMigrationNetwork($HostDef) {
  if ($HostDef.settings.useAnyNetworkForMigration) { return $true }
  foreach ($n in @($HostDef.settings.networks)) {
    foreach ($a in @($HostDef.networkAdapters)) {
      foreach ($ip in @($a.ipAddresses)) { if (Test-StubSubnetContains ([string]$n.subnet) ([string]$ip)) { return $true } }
    }
  }
  $false
}

function Test-StubRuleDisabled($HostDef, [string]$Name) {
  $rule = @($HostDef.firewallRules | Where-Object { $_.name -eq $Name })
  $rule.Count -gt 0 -and -not $rule[0].enabled
}

# Kerberos needs the source's constrained delegation to both services of the destination.
function Test-StubDelegated($State, $Source, $Destination) {
  $entries = @()
  foreach ($key in $State.delegations.Keys) { if ($key -eq $Source.facts.name) { $entries = @($State.delegations[$key]) } }
  $targets = @($Destination.facts.name, $Destination.facts.fqdn) | Where-Object { $_ }
  $has = { param($service) foreach ($t in $targets) { if ("$service/$t" -in $entries) { return $true } }; $false }
  (& $has 'Microsoft Virtual System Migration Service') -and (& $has 'cifs')
}

# Destination folders must lie on a volume of the host with room for the bytes (per volume).
function Test-StubTargets($State, $HostDef, $Targets) {
  $need = @{}
  foreach ($t in $Targets) {
    $volume = Get-StubVolume $State $HostDef $t.dir
    if ($null -eq $volume) { return @{ path = $t.dir; noSpace = $false } }
    $key = $volume.root.ToLowerInvariant()
    $total = [decimal]$t.bytes
    if ($need.ContainsKey($key)) { $total += $need[$key] }
    $need[$key] = $total
    if ($total -gt [decimal]$volume.freeBytes) { return @{ path = $t.dir; noSpace = $true } }
  }
  $null
}

function Get-StubDiskBytes($Vm) {
  $total = [decimal]0
  foreach ($d in $Vm.hardDrives) { $total += [decimal]$d.sizeBytes }
  $total
}

# -AsJob: a real job in the session's job repository (Get-Job lists it, Remove-Job removes it), as
# Hyper-V's cmdlets return. It runs until the Msvm_MigrationJob ends (settled by any call of this
# module), completing on success and failing with Hyper-V's error otherwise. A thread job: the stub is
# test-only PowerShell 7, which ships Start-ThreadJob.
function New-StubPsJob([string]$Name, [string]$InstanceId) {
  Start-ThreadJob -Name $Name -ThrottleLimit 1000 -ArgumentList (Get-StubStatePath), $InstanceId -ScriptBlock {
    param($StatePath, $Id)
    # The file is parsed again only when it changed (a job ends when a call settles it and writes the file).
    $seen = $null
    $job = $null
    while ($true) {
      try {
        $file = [IO.FileInfo]::new($StatePath)
        $key = "$($file.LastWriteTimeUtc.Ticks):$($file.Length)"
        if ($key -ne $seen) {
          $job = $null
          $state = [IO.File]::ReadAllText($StatePath) | ConvertFrom-Json -AsHashtable
          foreach ($j in @($state.jobs)) { if ($j.instanceId -eq $Id) { $job = $j } }
          $seen = $key
        }
      }
      catch { $job = @{ jobState = 4 }; $seen = $null }
      if ($null -eq $job) { throw "The migration job $Id no longer exists." }
      if ([int]$job.jobState -eq 7) { return }
      if ([int]$job.jobState -gt 7) { throw [string]$job.errorDescription }
      Start-Sleep -Milliseconds 100
    }
  }
}

# https://learn.microsoft.com/powershell/module/hyper-v/move-vm?view=windowsserver2016-ps
# Single destination (-IncludeStorage, -DestinationStoragePath) and multiple destinations
# (-VirtualMachinePath, -SnapshotFilePath, -SmartPagingFilePath, -Vhds) are different parameter sets:
# -IncludeStorage and -Vhds do not combine.
function Move-VM {
  [CmdletBinding(DefaultParameterSetName = 'NameSingleDestination', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'NameSingleDestination', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameMultipleDestinations', Mandatory, Position = 0)][string]$Name,
    [Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMSingleDestination', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMMultipleDestinations', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject]$VM,
    [Parameter(ParameterSetName = 'NameSingleDestination', Mandatory, Position = 1)][Parameter(ParameterSetName = 'NameMultipleDestinations', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMSingleDestination', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMMultipleDestinations', Mandatory, Position = 1)][string]$DestinationHost,
    [Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession', Mandatory, Position = 1)][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession', Mandatory, Position = 1)][object]$DestinationCimSession,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMSingleDestination')][Parameter(ParameterSetName = 'VMMultipleDestinations')][pscredential]$DestinationCredential,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][switch]$IncludeStorage,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][string]$DestinationStoragePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession', Mandatory)][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession', Mandatory)][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][string]$VirtualMachinePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][string]$SnapshotFilePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][string]$SmartPagingFilePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][hashtable[]]$Vhds,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][string]$ResourcePoolName,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][switch]$RetainVhdCopiesOnSource,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinationsAndCimSession')][Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMSingleDestinationAndCimSession')][Parameter(ParameterSetName = 'VMSingleDestination')][Parameter(ParameterSetName = 'VMMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinationsAndCimSession')][switch]$RemoveSourceUnmanagedVhds,
    [Parameter(ParameterSetName = 'CompatibilityReport', Mandatory, Position = 0)][psobject]$CompatibilityReport,
    [switch]$AsJob,
    [switch]$Passthru
  )
  Assert-StubSimulated $PSBoundParameters 'Move-VM' @('VM', 'DestinationHost', 'IncludeStorage', 'DestinationStoragePath', 'AsJob')
  $includeStorage = [bool]$IncludeStorage
  $outcome = Use-StubState -Write {
    param($state)
    $target = Resolve-StubVm $state $VM
    $source = Get-StubLocalHost $state
    if ($includeStorage -and -not $DestinationStoragePath) {
      return @{ error = (New-StubParameterError 'The parameter DestinationStoragePath is required when IncludeStorage is specified.' 'Move-VM') }
    }
    $destination = Get-StubHost $state $DestinationHost
    if ($null -eq $destination) {
      return @{ error = (New-StubError "Failed to establish a connection with host ${DestinationHost}: No such host is known. (0x80072AF9)." 'InvalidParameter' 'InvalidArgument' '80072AF9') }
    }
    if ($destination.facts.name -eq $source.facts.name) {
      return @{ error = (New-StubParameterError "The virtual machine '$($target.name)' is already on host '$($source.facts.name)'." 'Move-VM') }
    }
    $ctx = @{ vmName = $target.name; vmId = $target.vmId; source = $source.facts.name; destination = $destination.facts.name; host = $source.facts.name; storage = $false }
    if (Test-StubVmBusy $state $target) {
      $f = Get-StubFailure 'INVALID_VM_STATE' $ctx
      return @{ error = (New-StubError $f.message 'InvalidState' 'InvalidOperation') }
    }
    $fault = Use-StubFault $state $target
    $point = $null
    if ($fault -and $fault -ne 'LONG_BLACKOUT') { $point = $script:FailurePoints[$fault] }
    if ($point -eq 'start') {
      $ctx.limit = $source.settings.maximumVirtualMachineMigrations
      return @{ error = (New-StubStartError $state $fault $ctx 'Move-VM') }
    }
    if ($target.isClustered) {
      $message = "The virtual machine '$($target.name)' is clustered: move it through the cluster (Move-ClusterVirtualMachineRole)."
      Write-StubFailureEvents $state $ctx $message $null $false
      return @{ error = (New-StubError $message 'InvalidState' 'InvalidOperation') }
    }
    foreach ($h in $source, $destination) {
      if (-not $h.settings.enabled) { $ctx.host = $h.facts.name; return @{ error = (New-StubStartError $state 'MIGRATION_DISABLED' $ctx 'Move-VM') } }
    }
    foreach ($h in $source, $destination) {
      if (-not (Test-StubMigrationNetwork $h)) { $ctx.host = $h.facts.name; return @{ error = (New-StubStartError $state 'NETWORK_UNREACHABLE' $ctx 'Move-VM') } }
    }
    foreach ($h in $source, $destination) {
      $limit = [int]$h.settings.maximumVirtualMachineMigrations
      $active = @(Get-StubActiveJobs $state | Where-Object { $_.jobType -ne 307 -and ($_.sourceHost -eq $h.facts.name -or $_.destinationHost -eq $h.facts.name) }).Count
      if ($active -ge $limit) {
        $ctx.host = $h.facts.name
        $ctx.limit = $limit
        return @{ error = (New-StubStartError $state 'MIGRATION_LIMIT_REACHED' $ctx 'Move-VM') }
      }
    }
    if ($source.settings.authenticationType -eq 'KERBEROS' -and -not (Test-StubDelegated $state $source $destination)) {
      return @{ error = (New-StubStartError $state 'AUTHENTICATION_FAILED' $ctx 'Move-VM') }
    }
    $needsSmb = $source.settings.performanceOption -eq 'SMB' -or $includeStorage
    if ((Test-StubRuleDisabled $destination $script:MigrationRule) -or ($needsSmb -and (Test-StubRuleDisabled $destination $script:SmbRule))) {
      return @{ error = (New-StubStartError $state 'NETWORK_REFUSED' $ctx 'Move-VM') }
    }
    $live = $target.state -in $script:HasCpuState
    if ($live -and (Test-StubCrossVendor $source $destination)) {
      return @{ error = (New-StubStartError $state 'PROCESSOR_INCOMPATIBLE' $ctx 'Move-VM') }
    }
    if ([string]$target.configurationVersion -notin @($destination.facts.supportedVmVersions)) {
      $message = "The virtual machine '$($target.name)' has configuration version $($target.configurationVersion), which host '$($destination.facts.name)' does not support."
      Write-StubFailureEvents $state $ctx $message $null $false
      return @{ error = (New-StubError $message 'InvalidState' 'InvalidOperation') }
    }

    # The job, its duration, and the failure it will meet.
    $memory = Get-StubVmMemory $target
    $bytesPerSecond = Get-StubBytesPerSecond $source $destination
    $storageBytes = [decimal]0
    if ($includeStorage) { $storageBytes = Get-StubDiskBytes $target }
    $running = $target.state -in $script:HoldsMemory
    $seconds = [double]$storageBytes / [Math]::Min($bytesPerSecond, $script:DiskBytesPerSecond)
    if ($running) { $seconds += 1.0 + ([double]$memory / $bytesPerSecond) * 1.05 + 0.2 }
    else { $seconds += 2.0 + [double]$memory / $bytesPerSecond }
    $longBlackout = $null
    if ($fault -eq 'LONG_BLACKOUT') { $longBlackout = 63.1; $seconds += $longBlackout }
    $kind = 'LIVE'
    if ($includeStorage) { $kind = 'LIVE_WITH_STORAGE' }
    $job = New-StubJob $state $kind $target $source $destination $seconds
    $job.longBlackoutSeconds = $longBlackout
    if ($running) { $job.reservedMemoryBytes = [long]$memory }
    if ($includeStorage) {
      $dir = $DestinationStoragePath.TrimEnd('\', '/')
      $job.storage = @{ vmPath = $DestinationStoragePath; drives = @($target.hardDrives | ForEach-Object { @{ from = $_.path; to = $dir + '\' + (Get-StubLeaf $_.path) } }) }
    }
    $failure = $null
    if ($point) {
      $fctx = $ctx.Clone()
      $fctx.switchName = 'Production'
      if (@($target.switchNames).Count -gt 0) { $fctx.switchName = @($target.switchNames)[0] }
      $fctx.path = $DestinationStoragePath
      if (-not $fctx.path) { $fctx.path = $target.path }
      $failure = New-StubPlannedFailure $fault $fctx
    }
    else {
      $missing = Test-StubSwitchMissing $target $destination
      if ($null -ne $missing) {
        $ctx.switchName = $missing
        $failure = New-StubPlannedFailure 'SWITCH_NOT_FOUND' $ctx
      }
      elseif ($running -and (Get-StubAvailableMemory $state $destination) -lt $memory) {
        $failure = New-StubPlannedFailure 'INSUFFICIENT_MEMORY' $ctx
      }
      else {
        $bad = $null
        if ($includeStorage) { $bad = Test-StubTargets $state $destination @(@{ dir = $DestinationStoragePath; bytes = $storageBytes }) }
        else {
          foreach ($p in @($target.path) + @($target.hardDrives | ForEach-Object { $_.path })) {
            if ($null -eq $bad -and $null -eq (Get-StubVolume $state $null $p)) { $bad = @{ path = $p; noSpace = $false } }
          }
        }
        if ($null -ne $bad) {
          $ctx.path = $bad.path
          $ctx.noSpace = $bad.noSpace
          $failure = New-StubPlannedFailure 'PATH_NOT_FOUND' $ctx
        }
      }
    }
    $job.failure = $failure
    if ($null -ne $failure -and $failure.code -eq 'INSUFFICIENT_MEMORY') { $job.reservedMemoryBytes = 0 }
    Add-StubJob $state $job
    @{ name = $target.name; id = $job.instanceId }
  }
  if ($outcome.Contains('error')) { $PSCmdlet.ThrowTerminatingError($outcome.error) }
  if ($AsJob) { New-StubPsJob "Move-VM $($outcome.name)" $outcome.id }
}

# https://learn.microsoft.com/powershell/module/hyper-v/move-vmstorage?view=windowsserver2016-ps
# -DestinationStoragePath (single destination) or -VirtualMachinePath/-SnapshotFilePath/
# -SmartPagingFilePath/-Vhds (multiple destinations).
function Move-VMStorage {
  [CmdletBinding(DefaultParameterSetName = 'NameSingleDestination', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][object[]]$CimSession,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'NameSingleDestination')][Parameter(ParameterSetName = 'NameMultipleDestinations')][pscredential[]]$Credential,
    [Parameter(ParameterSetName = 'NameSingleDestination', Mandatory, Position = 0)][Parameter(ParameterSetName = 'NameMultipleDestinations', Mandatory, Position = 0)][string]$Name,
    [Parameter(ParameterSetName = 'VMSingleDestination', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'VMMultipleDestinations', Mandatory, Position = 0, ValueFromPipeline)][PSTypeName('Microsoft.HyperV.PowerShell.VirtualMachine')][psobject]$VM,
    [Parameter(ParameterSetName = 'NameSingleDestination', Mandatory, Position = 1)][Parameter(ParameterSetName = 'VMSingleDestination', Mandatory, Position = 1)][string]$DestinationStoragePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][string]$VirtualMachinePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][string]$SnapshotFilePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][string]$SmartPagingFilePath,
    [Parameter(ParameterSetName = 'NameMultipleDestinations')][Parameter(ParameterSetName = 'VMMultipleDestinations')][hashtable[]]$Vhds,
    [string]$ResourcePoolName,
    [switch]$RetainVhdCopiesOnSource,
    [switch]$RemoveSourceUnmanagedVhds,
    [switch]$AllowUnverifiedPaths,
    [switch]$AsJob
  )
  Assert-StubSimulated $PSBoundParameters 'Move-VMStorage' @('VM', 'DestinationStoragePath', 'Vhds', 'AsJob')
  $outcome = Use-StubState -Write {
    param($state)
    $target = Resolve-StubVm $state $VM
    $source = Get-StubLocalHost $state
    $hasPath = [bool]$DestinationStoragePath
    $hasVhds = $null -ne $Vhds -and $Vhds.Count -gt 0
    if ($hasPath -eq $hasVhds) { return @{ error = (New-StubParameterError 'Specify either DestinationStoragePath or Vhds.' 'Move-VMStorage') } }
    $drives = @()
    if ($hasVhds) {
      foreach ($v in $Vhds) {
        $drive = @($target.hardDrives | Where-Object { $_.path -eq $v.SourceFilePath })
        if ($drive.Count -eq 0) {
          return @{ error = (New-StubParameterError "The virtual hard disk '$($v.SourceFilePath)' is not attached to virtual machine '$($target.name)'." 'Move-VMStorage') }
        }
        if ((Get-StubLeaf $v.SourceFilePath) -ne (Get-StubLeaf $v.DestinationFilePath)) {
          return @{ error = (New-StubParameterError "The file name of '$($v.DestinationFilePath)' must be the same as the file name of '$($v.SourceFilePath)'." 'Move-VMStorage') }
        }
        $drives += @{ from = $drive[0].path; to = [string]$v.DestinationFilePath; bytes = $drive[0].sizeBytes }
      }
    }
    else {
      $dir = $DestinationStoragePath.TrimEnd('\', '/')
      foreach ($d in $target.hardDrives) { $drives += @{ from = $d.path; to = $dir + '\' + (Get-StubLeaf $d.path); bytes = $d.sizeBytes } }
    }
    $ctx = @{ vmName = $target.name; vmId = $target.vmId; source = $source.facts.name; destination = $source.facts.name; host = $source.facts.name; storage = $true }
    if (Test-StubVmBusy $state $target) {
      return @{ error = (New-StubError (Get-StubFailure 'INVALID_VM_STATE' $ctx).message 'InvalidState' 'InvalidOperation') }
    }
    $fault = Use-StubFault $state $target
    $point = $null
    if ($fault -and $fault -ne 'LONG_BLACKOUT') { $point = $script:FailurePoints[$fault] }
    if ($point -eq 'start') {
      $ctx.limit = $source.settings.maximumStorageMigrations
      return @{ error = (New-StubStartError $state $fault $ctx 'Move-VMStorage') }
    }
    $limit = [int]$source.settings.maximumStorageMigrations
    if (@(Get-StubActiveJobs $state | Where-Object { $_.jobType -eq 307 -and $_.sourceHost -eq $source.facts.name }).Count -ge $limit) {
      $ctx.limit = $limit
      return @{ error = (New-StubStartError $state 'MIGRATION_LIMIT_REACHED' $ctx 'Move-VMStorage') }
    }
    $bytes = [decimal]0
    foreach ($d in $drives) { $bytes += [decimal]$d.bytes }
    $job = New-StubJob $state 'STORAGE' $target $source $source (1.0 + [double]$bytes / $script:DiskBytesPerSecond)
    $vmPath = $null
    if ($hasPath) { $vmPath = $DestinationStoragePath }
    $job.storage = @{ vmPath = $vmPath; drives = @($drives | ForEach-Object { @{ from = $_.from; to = $_.to } }) }
    $failure = $null
    if ($point) {
      $ctx.path = $DestinationStoragePath
      if (-not $ctx.path) { $ctx.path = $drives[0].to }
      $failure = New-StubPlannedFailure $fault $ctx
    }
    else {
      $bad = $null
      if ($hasPath -and $null -eq (Get-StubVolume $state $source $DestinationStoragePath)) { $bad = @{ path = $DestinationStoragePath; noSpace = $false } }
      if ($null -eq $bad) { $bad = Test-StubTargets $state $source @($drives | ForEach-Object { @{ dir = (Get-StubParent $_.to); bytes = $_.bytes } }) }
      if ($null -ne $bad) {
        $ctx.path = $bad.path
        $ctx.noSpace = $bad.noSpace
        $failure = New-StubPlannedFailure 'PATH_NOT_FOUND' $ctx
      }
    }
    $job.failure = $failure
    Add-StubJob $state $job
    @{ name = $target.name; id = $job.instanceId }
  }
  if ($outcome.Contains('error')) { $PSCmdlet.ThrowTerminatingError($outcome.error) }
  if ($AsJob) { New-StubPsJob "Move-VMStorage $($outcome.name)" $outcome.id }
}

# ---------------------------------------------------------------------------------------------------
# CIM, event log, networking, AD

function ConvertTo-StubCimJob($Job) {
  [pscustomobject]@{
    PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#root/virtualization/v2/Msvm_MigrationJob'
    InstanceID = $Job.instanceId
    JobType = [uint16]$Job.jobType
    JobState = [uint16]$Job.jobState
    PercentComplete = [uint16]$Job.percentComplete
    ErrorCode = [uint16]$Job.errorCode
    ErrorDescription = $Job.errorDescription
    Cancellable = $true
    VirtualSystemName = ([string]$Job.vmId).ToUpperInvariant()
    DestinationHost = $Job.destinationHost
    ElementName = 'Migration job'
  }
}

# https://learn.microsoft.com/powershell/module/cimcmdlets/get-ciminstance?view=powershell-5.1
function Get-CimInstance {
  [CmdletBinding(DefaultParameterSetName = 'ClassNameComputerSet')]
  param(
    [Parameter(ParameterSetName = 'ClassNameComputerSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Parameter(ParameterSetName = 'ClassNameSessionSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][string]$ClassName,
    [Parameter(ParameterSetName = 'ResourceUriSessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'QuerySessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'ClassNameSessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'CimInstanceSessionSet', Mandatory, ValueFromPipeline)][object[]]$CimSession,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'CimInstanceComputerSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][Parameter(ParameterSetName = 'QueryComputerSet')][Alias('CN', 'ServerName')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ResourceUriSessionSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][string]$Filter,
    [Parameter(ParameterSetName = 'CimInstanceSessionSet', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'CimInstanceComputerSet', Mandatory, Position = 0, ValueFromPipeline)][Alias('CimInstance')][psobject]$InputObject,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ResourceUriSessionSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][switch]$KeyOnly,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ResourceUriSessionSet')][Parameter(ParameterSetName = 'QuerySessionSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][Parameter(ParameterSetName = 'QueryComputerSet')][string]$Namespace = 'root/cimv2',
    [Alias('OT')][uint32]$OperationTimeoutSec,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ResourceUriSessionSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][Alias('SelectProperties')][string[]]$Property,
    [Parameter(ParameterSetName = 'QuerySessionSet', Mandatory)][Parameter(ParameterSetName = 'QueryComputerSet', Mandatory)][string]$Query,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'QuerySessionSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'QueryComputerSet')][string]$QueryDialect,
    [Parameter(ParameterSetName = 'ResourceUriSessionSet', Mandatory)][Parameter(ParameterSetName = 'ResourceUriComputerSet', Mandatory)][Parameter(ParameterSetName = 'QuerySessionSet')][Parameter(ParameterSetName = 'CimInstanceSessionSet')][Parameter(ParameterSetName = 'CimInstanceComputerSet')][Parameter(ParameterSetName = 'QueryComputerSet')][uri]$ResourceUri,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ResourceUriSessionSet')][Parameter(ParameterSetName = 'QuerySessionSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][Parameter(ParameterSetName = 'QueryComputerSet')][switch]$Shallow
  )
  Assert-StubSimulated $PSBoundParameters 'Get-CimInstance' @('ClassName', 'Namespace')
  $hostName = Get-StubHostName
  switch ($ClassName) {
    'Msvm_MigrationJob' {
      $jobs = Use-StubState { param($state) @($state.jobs | Where-Object { $_.sourceHost -eq $hostName }) }
      foreach ($j in $jobs) { ConvertTo-StubCimJob $j }
    }
    'Win32_ComputerSystem' {
      $facts = Use-StubState { param($state) (Get-StubLocalHost $state).facts }
      [pscustomobject]@{ Name = $facts.name.ToUpperInvariant(); DNSHostName = $facts.name; Domain = $(if ($facts.domain) { $facts.domain } else { 'WORKGROUP' }); PartOfDomain = [bool]$facts.domain }
    }
    'Win32_Processor' {
      $facts = Use-StubState { param($state) (Get-StubLocalHost $state).facts }
      $maker = switch ($facts.cpuVendor) { 'INTEL' { 'GenuineIntel' } 'AMD' { 'AuthenticAMD' } default { 'Other' } }
      [pscustomobject]@{ DeviceID = 'CPU0'; Manufacturer = $maker; Name = $facts.cpuModel; NumberOfLogicalProcessors = [uint32]$facts.logicalProcessorCount }
    }
    'Win32_OperatingSystem' {
      $memory = Use-StubState { param($state) $h = Get-StubLocalHost $state; @{ total = [long]$h.facts.memoryCapacityBytes; free = Get-StubAvailableMemory $state $h } }
      [pscustomobject]@{ Caption = 'Microsoft Windows Server 2016 Datacenter'; TotalVisibleMemorySize = [uint64]($memory.total / 1024); FreePhysicalMemory = [uint64][Math]::Floor($memory.free / 1024) }
    }
    default { throw "FerryHyperVStub: class '$ClassName' is not simulated" }
  }
}

# Msvm_MigrationJob.RequestStateChange: 4 (Terminate) or 5 (Kill) ends a running job CANCELLED.
# https://learn.microsoft.com/powershell/module/cimcmdlets/invoke-cimmethod?view=powershell-5.1
function Invoke-CimMethod {
  [CmdletBinding(DefaultParameterSetName = 'ClassNameComputerSet', SupportsShouldProcess)]
  param(
    [Parameter(ParameterSetName = 'ClassNameComputerSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Parameter(ParameterSetName = 'ClassNameSessionSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Alias('Class')][string]$ClassName,
    [Parameter(ParameterSetName = 'ClassNameSessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'CimInstanceSessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'ResourceUriSessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'CimClassSessionSet', Mandatory, ValueFromPipeline)][Parameter(ParameterSetName = 'QuerySessionSet', Mandatory, ValueFromPipeline)][object[]]$CimSession,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][Parameter(ParameterSetName = 'CimClassComputerSet')][Parameter(ParameterSetName = 'CimInstanceComputerSet')][Parameter(ParameterSetName = 'QueryComputerSet')][Alias('CN', 'ServerName')][string[]]$ComputerName,
    [Parameter(ParameterSetName = 'ResourceUriComputerSet', Mandatory)][Parameter(ParameterSetName = 'ResourceUriSessionSet', Mandatory)][Parameter(ParameterSetName = 'CimInstanceSessionSet')][Parameter(ParameterSetName = 'CimInstanceComputerSet')][uri]$ResourceUri,
    [Parameter(ParameterSetName = 'CimInstanceSessionSet', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'CimInstanceComputerSet', Mandatory, Position = 0, ValueFromPipeline)][Alias('CimInstance')][psobject]$InputObject,
    [Parameter(ParameterSetName = 'CimClassComputerSet', Mandatory, Position = 0, ValueFromPipeline)][Parameter(ParameterSetName = 'CimClassSessionSet', Mandatory, Position = 0, ValueFromPipeline)][psobject]$CimClass,
    [Parameter(ParameterSetName = 'QueryComputerSet', Mandatory)][Parameter(ParameterSetName = 'QuerySessionSet', Mandatory)][string]$Query,
    [Parameter(ParameterSetName = 'QueryComputerSet')][Parameter(ParameterSetName = 'QuerySessionSet')][string]$QueryDialect,
    [Parameter(Position = 1)][System.Collections.IDictionary]$Arguments,
    [Parameter(Mandatory, Position = 2)][Alias('Name')][string]$MethodName,
    [Parameter(ParameterSetName = 'ClassNameComputerSet')][Parameter(ParameterSetName = 'ClassNameSessionSet')][Parameter(ParameterSetName = 'ResourceUriComputerSet')][Parameter(ParameterSetName = 'ResourceUriSessionSet')][Parameter(ParameterSetName = 'QuerySessionSet')][Parameter(ParameterSetName = 'QueryComputerSet')][string]$Namespace,
    [Alias('OT')][uint32]$OperationTimeoutSec
  )
  Assert-StubSimulated $PSBoundParameters 'Invoke-CimMethod' @('InputObject', 'MethodName', 'Arguments')
  if ($MethodName -ne 'RequestStateChange') { throw "FerryHyperVStub: method '$MethodName' is not simulated" }
  $requested = [int]$Arguments['RequestedState']
  $id = [string]$InputObject.InstanceID
  $code = Use-StubState -Write {
    param($state)
    foreach ($job in $state.jobs) {
      if ($job.instanceId -ne $id) { continue }
      if ($job.jobState -ne $script:JobStates.Running) { return 32775 }
      if ($requested -ne 4 -and $requested -ne 5) { return 32773 }
      $ctx = Get-StubJobContext $job
      $message = (Get-StubFailure 'CANCELLED' $ctx).message
      Write-StubFailureEvents $state $ctx $message $null $false
      $job.jobState = $script:JobStates.Terminated
      if ($requested -eq 5) { $job.jobState = 9 }
      $job.errorDescription = $message
      return 0
    }
    32773
  }
  [pscustomobject]@{ ReturnValue = [uint32]$code }
}

# https://learn.microsoft.com/powershell/module/microsoft.powershell.diagnostics/get-winevent?view=powershell-5.1
function Get-WinEvent {
  [CmdletBinding(DefaultParameterSetName = 'GetLogSet')]
  param(
    [Parameter(ParameterSetName = 'GetLogSet', Position = 0)][string[]]$LogName,
    [Parameter(ParameterSetName = 'ListLogSet', Mandatory, Position = 0)][string[]]$ListLog,
    [Parameter(ParameterSetName = 'ListProviderSet', Mandatory, Position = 0)][string[]]$ListProvider,
    [Parameter(ParameterSetName = 'GetProviderSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][string[]]$ProviderName,
    [Parameter(ParameterSetName = 'FileSet', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Alias('PSPath')][string[]]$Path,
    [Parameter(ParameterSetName = 'HashQuerySet', Mandatory, Position = 0)][hashtable[]]$FilterHashtable,
    [Parameter(ParameterSetName = 'XmlQuerySet', Mandatory, Position = 0)][xml]$FilterXml,
    [Parameter(ParameterSetName = 'GetLogSet')][Parameter(ParameterSetName = 'GetProviderSet')][Parameter(ParameterSetName = 'FileSet')][Parameter(ParameterSetName = 'HashQuerySet')][Parameter(ParameterSetName = 'XmlQuerySet')][ValidateRange(1, [long]::MaxValue)][long]$MaxEvents = -1,
    [Parameter(ParameterSetName = 'GetLogSet')][Parameter(ParameterSetName = 'ListLogSet')][Parameter(ParameterSetName = 'ListProviderSet')][Parameter(ParameterSetName = 'GetProviderSet')][Parameter(ParameterSetName = 'HashQuerySet')][Parameter(ParameterSetName = 'XmlQuerySet')][Alias('Cn')][string]$ComputerName,
    [pscredential]$Credential,
    [Parameter(ParameterSetName = 'GetLogSet')][Parameter(ParameterSetName = 'GetProviderSet')][Parameter(ParameterSetName = 'FileSet')][string]$FilterXPath,
    [Parameter(ParameterSetName = 'GetLogSet')][Parameter(ParameterSetName = 'ListLogSet')][Parameter(ParameterSetName = 'GetProviderSet')][Parameter(ParameterSetName = 'HashQuerySet')][switch]$Force,
    [Parameter(ParameterSetName = 'GetLogSet')][Parameter(ParameterSetName = 'GetProviderSet')][Parameter(ParameterSetName = 'FileSet')][Parameter(ParameterSetName = 'HashQuerySet')][Parameter(ParameterSetName = 'XmlQuerySet')][switch]$Oldest
  )
  Assert-StubSimulated $PSBoundParameters 'Get-WinEvent' @('LogName', 'FilterXPath', 'MaxEvents', 'Oldest')
  if ($LogName.Count -ne 1) { throw 'FerryHyperVStub: Get-WinEvent simulates one log at a time.' }
  $LogName = [string]$LogName[0]
  if ($MaxEvents -lt 0) { $MaxEvents = [int]::MaxValue }
  $hostName = Get-StubHostName
  $after = [long]0
  if ($FilterXPath -match 'EventRecordID\s*>\s*(\d+)') { $after = [long]$Matches[1] }
  $events = Use-StubState {
    param($state)
    if ($state.events.Contains($hostName)) { @($state.events[$hostName]) } else { @() }
  }
  $selected = @($events | Where-Object { [long]$_.recordId -gt $after } | Sort-Object { [long]$_.recordId } -Descending:(-not $Oldest) | Select-Object -First $MaxEvents)
  if ($LogName -ne 'Microsoft-Windows-Hyper-V-VMMS-Admin' -or $selected.Count -eq 0) {
    $PSCmdlet.ThrowTerminatingError([System.Management.Automation.ErrorRecord]::new(
        [Exception]::new('No events were found that match the specified selection criteria.'),
        'NoMatchingEventsFound,Microsoft.PowerShell.Commands.GetWinEventCommand', 'ObjectNotFound', $null))
  }
  $levels = @{ Error = 2; Warning = 3; Information = 4 }
  foreach ($e in $selected) {
    # Hyper-V-VMMS-Admin events carry their data under Event/UserData/VmlEventLog (VmName, VmId ...),
    # not under Event/EventData/Data[@Name=...] (HYPERV.md "Events"). The VmlEventLog namespace is
    # the one Hyper-V's manifest uses as far as known (unconfirmed); readers match on local names.
    $esc = { param($v) [System.Security.SecurityElement]::Escape([string]$v) }
    $xml = '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Hyper-V-VMMS"/><EventID>{0}</EventID><Level>{5}</Level><TimeCreated SystemTime="{4}"/><EventRecordID>{1}</EventRecordID><Channel>Microsoft-Windows-Hyper-V-VMMS-Admin</Channel><Computer>{6}</Computer></System><UserData><VmlEventLog xmlns="http://www.microsoft.com/Windows/Virtualization/Events"><VmName>{2}</VmName><VmId>{3}</VmId></VmlEventLog></UserData></Event>' -f $e.eventId, $e.recordId, (& $esc $e.vmName), (& $esc ([string]$e.vmId).ToUpperInvariant()), (& $esc $e.timeCreated), $levels[[string]$e.level], (& $esc $hostName)
    $record = [pscustomobject]@{
      RecordId = [long]$e.recordId
      Id = [int]$e.eventId
      Level = [byte]$levels[[string]$e.level]
      LevelDisplayName = $e.level
      TimeCreated = [DateTime]::Parse([string]$e.timeCreated, [Globalization.CultureInfo]::InvariantCulture, 'RoundtripKind').ToLocalTime()
      ProviderName = 'Microsoft-Windows-Hyper-V-VMMS'
      LogName = $LogName
      Message = $e.message
    }
    $record | Add-Member -MemberType ScriptMethod -Name ToXml -Value ({ $xml }.GetNewClosure())
    $record
  }
}

# https://learn.microsoft.com/powershell/module/netsecurity/get-netfirewallrule?view=windowsserver2016-ps
# (enum-typed filters are strings here).
function Get-NetFirewallRule {
  [CmdletBinding(DefaultParameterSetName = 'GetAll')]
  param(
    [Parameter(ParameterSetName = 'GetAll')][switch]$All,
    [Parameter(ParameterSetName = 'ByName', Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Alias('ID')][string[]]$Name,
    [Parameter(ParameterSetName = 'ByDisplayName', Mandatory, ValueFromPipelineByPropertyName)][string[]]$DisplayName,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Description,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$DisplayGroup,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Group,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Enabled,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Direction,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Action,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$EdgeTraversalPolicy,
    [Parameter(ParameterSetName = 'ByQuery')][bool[]]$LooseSourceMapping,
    [Parameter(ParameterSetName = 'ByQuery')][bool[]]$LocalOnlyMapping,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Owner,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$PrimaryStatus,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Status,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$PolicyStoreSource,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$PolicyStoreSourceType,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallAddressFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallAddressFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallApplicationFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallApplicationFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallInterfaceFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallInterfaceFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallInterfaceTypeFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallInterfaceTypeFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallPortFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallPortFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallSecurityFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallSecurityFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallServiceFilter', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallServiceFilter,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallProfile', Mandatory, ValueFromPipeline)][psobject]$AssociatedNetFirewallProfile,
    [string]$PolicyStore,
    [string]$GPOSession,
    [switch]$TracePolicyStore,
    [object[]]$CimSession,
    [int]$ThrottleLimit,
    [switch]$AsJob
  )
  Assert-StubSimulated $PSBoundParameters 'Get-NetFirewallRule' @('Name')
  $rules = Use-StubState { param($state) @((Get-StubLocalHost $state).firewallRules) }
  foreach ($r in $rules) {
    if ($Name -and $r.name -notin $Name) { continue }
    [pscustomobject]@{
      PSTypeName = 'Microsoft.Management.Infrastructure.CimInstance#root/StandardCimv2/MSFT_NetFirewallRule'
      Name = $r.name; DisplayName = $r.displayName; Enabled = $(if ($r.enabled) { 'True' } else { 'False' })
      Direction = 'Inbound'; Action = 'Allow'; Protocol = $r.protocol; LocalPort = $r.localPort
    }
  }
}

# https://learn.microsoft.com/powershell/module/netsecurity/get-netfirewallportfilter?view=windowsserver2016-ps
function Get-NetFirewallPortFilter {
  [CmdletBinding(DefaultParameterSetName = 'GetAll')]
  param(
    [Parameter(ParameterSetName = 'GetAll')][switch]$All,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$Protocol,
    [Parameter(ParameterSetName = 'ByQuery')][string[]]$DynamicTarget,
    [Parameter(ParameterSetName = 'ByAssociatedNetFirewallRule', Mandatory, ValueFromPipeline)][PSTypeName('Microsoft.Management.Infrastructure.CimInstance#root/StandardCimv2/MSFT_NetFirewallRule')][psobject]$AssociatedNetFirewallRule,
    [Parameter(ParameterSetName = 'ByAssociatedNetIPsecRule', Mandatory, ValueFromPipeline)][PSTypeName('Microsoft.Management.Infrastructure.CimInstance#root/StandardCimv2/MSFT_NetConSecRule')][psobject]$AssociatedNetIPsecRule,
    [string]$PolicyStore,
    [string]$GPOSession,
    [object[]]$CimSession,
    [int]$ThrottleLimit,
    [switch]$AsJob
  )
  process {
    Assert-StubSimulated $PSBoundParameters 'Get-NetFirewallPortFilter' @('AssociatedNetFirewallRule')
    [pscustomobject]@{ Protocol = $AssociatedNetFirewallRule.Protocol; LocalPort = $AssociatedNetFirewallRule.LocalPort; RemotePort = 'Any' }
  }
}

# https://learn.microsoft.com/powershell/module/storage/get-volume?view=windowsserver2016-ps
function Get-Volume {
  [CmdletBinding(DefaultParameterSetName = 'ByDriveLetter')]
  param(
    [Parameter(ParameterSetName = 'ByDriveLetter', Position = 0, ValueFromPipelineByPropertyName)][char[]]$DriveLetter,
    [Parameter(ParameterSetName = 'ById', ValueFromPipelineByPropertyName)][Alias('Id')][string[]]$ObjectId,
    [Parameter(ParameterSetName = 'ByUniqueId', ValueFromPipelineByPropertyName)][string[]]$UniqueId,
    [Parameter(ParameterSetName = 'ByPaths', ValueFromPipelineByPropertyName)][string[]]$Path,
    [Parameter(ParameterSetName = 'ByLabel', ValueFromPipelineByPropertyName)][string[]]$FileSystemLabel,
    [Parameter(ParameterSetName = 'ByPartition', ValueFromPipeline)][psobject]$Partition,
    [Parameter(ParameterSetName = 'ByDiskImage', ValueFromPipeline)][psobject]$DiskImage,
    [Parameter(ParameterSetName = 'ByStorageSubSystem', ValueFromPipeline)][psobject]$StorageSubSystem,
    [Parameter(ParameterSetName = 'ByStoragePool', ValueFromPipeline)][psobject]$StoragePool,
    [Parameter(ParameterSetName = 'ByStorageNode', ValueFromPipeline)][psobject]$StorageNode,
    [Parameter(ParameterSetName = 'ByStorageFileServer', ValueFromPipeline)][psobject]$StorageFileServer,
    [Parameter(ParameterSetName = 'ByFileShare', ValueFromPipeline)][psobject]$FileShare,
    [Parameter(ParameterSetName = 'ByStorageJob', ValueFromPipeline)][psobject]$StorageJob,
    [Parameter(ParameterSetName = 'ByFilePath')][string]$FilePath,
    [object[]]$CimSession,
    [int]$ThrottleLimit,
    [switch]$AsJob
  )
  Assert-StubSimulated $PSBoundParameters 'Get-Volume' @()
  $volumes = Use-StubState { param($state) @((Get-StubLocalHost $state).volumes) }
  foreach ($v in $volumes) {
    if ([string]$v.root -match '^([A-Za-z]):\\') {
      [pscustomobject]@{ DriveLetter = [char]$Matches[1]; SizeRemaining = [uint64][string]$v.freeBytes; FileSystemType = 'NTFS' }
    }
  }
}

# https://learn.microsoft.com/powershell/module/netadapter/get-netadapter?view=windowsserver2016-ps
function Get-NetAdapter {
  [CmdletBinding(DefaultParameterSetName = 'ByName')]
  param(
    [Parameter(ParameterSetName = 'ByName', Position = 0, ValueFromPipelineByPropertyName)][Alias('ifAlias', 'InterfaceAlias')][string[]]$Name,
    [Parameter(ParameterSetName = 'ByInstanceID', Mandatory, ValueFromPipelineByPropertyName)][Alias('ifDesc')][string[]]$InterfaceDescription,
    [Parameter(ParameterSetName = 'ByIfIndex', Mandatory, ValueFromPipelineByPropertyName)][Alias('ifIndex')][uint32[]]$InterfaceIndex,
    [switch]$IncludeHidden,
    [switch]$Physical,
    [object[]]$CimSession,
    [int]$ThrottleLimit,
    [switch]$AsJob
  )
  Assert-StubSimulated $PSBoundParameters 'Get-NetAdapter' @('Name')
  $adapters = Use-StubState { param($state) @((Get-StubLocalHost $state).networkAdapters) }
  $index = 0
  foreach ($a in $adapters) {
    $index++
    if ($Name -and $a.name -notin $Name) { continue }
    [pscustomobject]@{ Name = $a.name; InterfaceDescription = $a.name; ifIndex = $index; Status = 'Up'; Speed = [uint64]$a.linkSpeedBps; LinkSpeed = "$([uint64]$a.linkSpeedBps / 1e9) Gbps" }
  }
}

# https://learn.microsoft.com/powershell/module/netadapter/get-netadapterrdma?view=windowsserver2016-ps
function Get-NetAdapterRdma {
  [CmdletBinding(DefaultParameterSetName = 'ByName')]
  param(
    [Parameter(ParameterSetName = 'ByName', Position = 0, ValueFromPipelineByPropertyName)][Alias('ifAlias', 'InterfaceAlias')][string[]]$Name,
    [Parameter(ParameterSetName = 'ByInstanceID', Mandatory, ValueFromPipelineByPropertyName)][Alias('ifDesc')][string[]]$InterfaceDescription,
    [switch]$IncludeHidden,
    [object[]]$CimSession,
    [int]$ThrottleLimit,
    [switch]$AsJob
  )
  Assert-StubSimulated $PSBoundParameters 'Get-NetAdapterRdma' @('Name')
  $adapters = Use-StubState { param($state) @((Get-StubLocalHost $state).networkAdapters) }
  foreach ($a in $adapters) {
    if (-not $a.rdmaCapable) { continue }
    if ($Name -and $a.name -notin $Name) { continue }
    [pscustomobject]@{ Name = $a.name; InterfaceDescription = $a.name; Enabled = $true }
  }
}

# https://learn.microsoft.com/powershell/module/nettcpip/get-netipaddress?view=windowsserver2016-ps
# (enum-typed filters are strings here).
function Get-NetIPAddress {
  [CmdletBinding()]
  param(
    [Parameter(Position = 0, ValueFromPipelineByPropertyName)][string[]]$IPAddress,
    [Parameter(ValueFromPipelineByPropertyName)][Alias('ifIndex')][uint32[]]$InterfaceIndex,
    [Parameter(ValueFromPipelineByPropertyName)][Alias('ifAlias')][string[]]$InterfaceAlias,
    [string[]]$AddressFamily,
    [string[]]$Type,
    [byte[]]$PrefixLength,
    [string[]]$PrefixOrigin,
    [string[]]$SuffixOrigin,
    [string[]]$AddressState,
    [timespan[]]$ValidLifetime,
    [timespan[]]$PreferredLifetime,
    [bool[]]$SkipAsSource,
    [Parameter(ValueFromPipeline)][psobject]$AssociatedIPInterface,
    [string]$PolicyStore,
    [switch]$IncludeAllCompartments,
    [object[]]$CimSession,
    [int]$ThrottleLimit,
    [switch]$AsJob
  )
  Assert-StubSimulated $PSBoundParameters 'Get-NetIPAddress' @('InterfaceIndex')
  $adapters = Use-StubState { param($state) @((Get-StubLocalHost $state).networkAdapters) }
  $index = 0
  foreach ($a in $adapters) {
    $index++
    if ($PSBoundParameters.ContainsKey('InterfaceIndex') -and $index -notin $InterfaceIndex) { continue }
    foreach ($ip in $a.ipAddresses) {
      [pscustomobject]@{ IPAddress = $ip; InterfaceIndex = $index; InterfaceAlias = $a.name; AddressFamily = $(if ($ip.Contains(':')) { 'IPv6' } else { 'IPv4' }) }
    }
  }
}

# https://learn.microsoft.com/powershell/module/activedirectory/get-adcomputer?view=windowsserver2016-ps
# (-Identity is an ADComputer; a name converts to one, as here).
function Get-ADComputer {
  [CmdletBinding(DefaultParameterSetName = 'Filter')]
  param(
    [Parameter(ParameterSetName = 'Filter')][Parameter(ParameterSetName = 'Identity')][Parameter(ParameterSetName = 'LdapFilter')][string]$AuthType,
    [pscredential]$Credential,
    [Parameter(ParameterSetName = 'Filter', Mandatory)][string]$Filter,
    [Parameter(ParameterSetName = 'Identity', Mandatory, Position = 0, ValueFromPipeline)][string]$Identity,
    [Parameter(ParameterSetName = 'LdapFilter', Mandatory)][string]$LDAPFilter,
    [Parameter(ParameterSetName = 'Identity')][string]$Partition,
    [Alias('Property')][string[]]$Properties,
    [Parameter(ParameterSetName = 'Filter')][Parameter(ParameterSetName = 'LdapFilter')][int]$ResultPageSize,
    [Parameter(ParameterSetName = 'Filter')][Parameter(ParameterSetName = 'LdapFilter')][Nullable[int]]$ResultSetSize,
    [Parameter(ParameterSetName = 'Filter')][Parameter(ParameterSetName = 'LdapFilter')][string]$SearchBase,
    [Parameter(ParameterSetName = 'Filter')][Parameter(ParameterSetName = 'LdapFilter')][string]$SearchScope,
    [string]$Server
  )
  Assert-StubSimulated $PSBoundParameters 'Get-ADComputer' @('Identity', 'Properties')
  $entry = Use-StubState {
    param($state)
    if ($state.delegations.Contains($Identity)) { @{ found = $true; list = @($state.delegations[$Identity]) } } else { @{ found = $false } }
  }
  if (-not $entry.found) {
    $PSCmdlet.ThrowTerminatingError((New-StubError "Cannot find an object with identity: '$Identity'." 'ActiveDirectoryCmdlet:Microsoft.ActiveDirectory.Management.ADIdentityNotFoundException,Get-ADComputer' 'ObjectNotFound'))
  }
  [pscustomobject]@{ Name = $Identity; DNSHostName = $Identity; 'msDS-AllowedToDelegateTo' = $entry.list }
}

Export-ModuleMember -Function @(
  'Get-VMHost', 'Get-VMHostSupportedVersion', 'Set-VMHost', 'Enable-VMMigration', 'Disable-VMMigration',
  'Get-VMMigrationNetwork', 'Add-VMMigrationNetwork', 'Set-VMMigrationNetwork', 'Remove-VMMigrationNetwork',
  'Get-VMSwitch', 'Get-VM', 'Get-VMHardDiskDrive', 'Get-VHD', 'Get-VMNetworkAdapter', 'Get-VMProcessor', 'Set-VMProcessor', 'Save-VM', 'Stop-VM',
  'Compare-VM', 'Move-VM', 'Move-VMStorage', 'Get-CimInstance', 'Invoke-CimMethod', 'Get-WinEvent',
  'Get-NetFirewallRule', 'Get-NetFirewallPortFilter', 'Get-NetAdapter', 'Get-NetAdapterRdma', 'Get-NetIPAddress', 'Get-Volume', 'Get-ADComputer'
)
