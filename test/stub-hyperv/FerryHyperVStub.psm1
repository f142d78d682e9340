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
  MIGRATION_DISABLED = 'start'; AUTHENTICATION_FAILED = 'start'; PROCESSOR_INCOMPATIBLE = 'start'
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

function Add-StubEvent($State, [string]$HostName, [int]$EventId, [string]$Level, [string]$Message, $VmName) {
  if (-not $State.events.Contains($HostName)) { $State.events[$HostName] = @() }
  $next = 1
  if ($State.nextRecordId.Contains($HostName)) { $next = [long]$State.nextRecordId[$HostName] }
  $State.events[$HostName] = @($State.events[$HostName]) + @(@{
      recordId = $next; eventId = $EventId; level = $Level
      timeCreated = [DateTime]::UtcNow.ToString('o'); message = $Message; vmName = $VmName
    })
  $State.nextRecordId[$HostName] = $next + 1
}

# An ErrorRecord shaped like the Hyper-V module's (VirtualizationException, "<Id>,<cmdlet>").
function New-StubError([string]$Message, [string]$ErrorId, [string]$Category, [string]$HResult = '80004005') {
  $ex = [VirtualizationException]::new($Message, [Convert]::ToInt32($HResult, 16))
  [System.Management.Automation.ErrorRecord]::new($ex, $ErrorId, $Category, $null)
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
    Add-StubEvent $State $side[1] 21502 'Error' $umbrella $Ctx.vmName
    if ($null -ne $EventId) { Add-StubEvent $State $side[1] $EventId 'Error' "$Detail (Virtual machine ID $($Ctx.vmId))" $Ctx.vmName }
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
    Add-StubEvent $State $source.facts.name 20821 'Information' "Storage migration of '$($vm.name)' completed successfully in $secondsText seconds. (Virtual machine ID $($vm.vmId))" $vm.name
    return
  }
  $source.vms = @($source.vms | Where-Object { $_.vmId -ne $Job.vmId })
  $destination.vms = @($destination.vms) + @($vm)
  foreach ($side in @(@($source, "to host '$($destination.facts.name)'"), @($destination, "from host '$($source.facts.name)'"))) {
    $hostName = $side[0].facts.name
    Add-StubEvent $State $hostName 20415 'Information' "Live migration of '$($vm.name)' $($side[1]) completed successfully in $secondsText seconds. (Virtual machine ID $($vm.vmId))" $vm.name
    if ($null -ne $Job.longBlackoutSeconds) {
      $blackout = ([double]$Job.longBlackoutSeconds).ToString('0.0', [Globalization.CultureInfo]::InvariantCulture)
      Add-StubEvent $State $hostName 20417 'Warning' "'$($vm.name)' completed the live migration (Virtual machine ID $($vm.vmId)) with an unexpectedly long blackout time of $blackout seconds." $vm.name
    }
  }
}

function Get-StubActiveJobs($State) { @($State.jobs | Where-Object { $_.jobState -eq $script:JobStates.Running }) }

function Use-StubFault($State, $Vm) {
  $name = [string]$Vm.name
  if (-not $State.faults.Contains($name)) { return $null }
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

function Get-VMHost {
  [CmdletBinding()] param([string[]]$ComputerName)
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

function Get-VMHostSupportedVersion {
  [CmdletBinding()] param([switch]$Default)
  $versions = Use-StubState { param($state) @((Get-StubLocalHost $state).facts.supportedVmVersions) }
  foreach ($v in $versions) { [pscustomobject]@{ Name = "Microsoft Windows Server, version $v"; Version = [version]$v; IsDefault = $false } }
}

function Set-VMHost {
  [CmdletBinding()]
  param(
    [string]$VirtualMachineMigrationAuthenticationType,
    [string]$VirtualMachineMigrationPerformanceOption,
    [Nullable[long]]$MaximumVirtualMachineMigrations,
    [Nullable[long]]$MaximumStorageMigrations,
    [Nullable[bool]]$UseAnyNetworkForMigration
  )
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

function Enable-VMMigration { [CmdletBinding()] param() Use-StubState -Write { param($state) (Get-StubLocalHost $state).settings.enabled = $true } }
function Disable-VMMigration { [CmdletBinding()] param() Use-StubState -Write { param($state) (Get-StubLocalHost $state).settings.enabled = $false } }

function Test-StubSubnet([string]$Subnet) {
  if ($Subnet -notmatch '^(?<ip>[0-9A-Fa-f:.]+)/(?<len>\d{1,3})$') { return $false }
  $ip = $null
  if (-not [System.Net.IPAddress]::TryParse($Matches.ip, [ref]$ip)) { return $false }
  $max = 32
  if ($ip.AddressFamily -eq 'InterNetworkV6') { $max = 128 }
  [int]$Matches.len -le $max
}

function Get-VMMigrationNetwork {
  [CmdletBinding()] param([string]$Subnet)
  $networks = Use-StubState { param($state) @((Get-StubLocalHost $state).settings.networks) }
  foreach ($n in $networks) {
    if ($PSBoundParameters.ContainsKey('Subnet') -and $n.subnet -ne $Subnet) { continue }
    [pscustomobject]@{ Subnet = $n.subnet; Priority = $(if ($null -eq $n.priority) { $null } else { [uint32]$n.priority }) }
  }
}

function Add-VMMigrationNetwork {
  [CmdletBinding()] param([Parameter(Mandatory)][string]$Subnet, [Nullable[long]]$Priority)
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

function Set-VMMigrationNetwork {
  [CmdletBinding()] param([Parameter(Mandatory)][string]$Subnet, [Nullable[long]]$Priority)
  $p = $null
  if ($PSBoundParameters.ContainsKey('Priority')) { $p = [long]$Priority }
  Use-StubState -Write {
    param($state)
    foreach ($n in (Get-StubLocalHost $state).settings.networks) { if ($n.subnet -eq $Subnet) { $n.priority = $p } }
  }
}

function Remove-VMMigrationNetwork {
  [CmdletBinding()] param([Parameter(Mandatory)][string]$Subnet)
  Use-StubState -Write {
    param($state)
    $s = (Get-StubLocalHost $state).settings
    $s.networks = @($s.networks | Where-Object { $_.subnet -ne $Subnet })
  }
}

function Get-VMSwitch {
  [CmdletBinding()] param([string]$Name)
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
  }
}

function Get-VM {
  [CmdletBinding()] param([Parameter(Position = 0)][string[]]$Name, [string]$Id)
  $hostName = Get-StubHostName
  $vms = Use-StubState { param($state) @((Get-StubLocalHost $state).vms) }
  if ($PSBoundParameters.ContainsKey('Id')) {
    $match = @($vms | Where-Object { $_.vmId -eq $Id })
    if ($match.Count -eq 0) {
      $PSCmdlet.ThrowTerminatingError((New-StubError "Hyper-V was unable to find a virtual machine with ID ""$Id""." 'InvalidParameter' 'ObjectNotFound'))
    }
    return ConvertTo-StubVm $match[0] $hostName
  }
  foreach ($vm in $vms) {
    if ($Name -and $vm.name -notin $Name) { continue }
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

function Get-VMHardDiskDrive {
  [CmdletBinding()] param([Parameter(Mandatory, ValueFromPipeline)]$VM)
  process {
    $vm = Use-StubState { param($state) Resolve-StubVm $state $VM }
    $i = 0
    foreach ($d in $vm.hardDrives) {
      [pscustomobject]@{ VMName = $vm.name; ControllerType = 'SCSI'; ControllerNumber = 0; ControllerLocation = $i; Path = $d.path }
      $i++
    }
  }
}

function Get-VHD {
  [CmdletBinding()] param([Parameter(Mandatory)][string]$Path)
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

function Get-VMNetworkAdapter {
  [CmdletBinding()] param([Parameter(Mandatory, ValueFromPipeline)]$VM)
  process {
    $vm = Use-StubState { param($state) Resolve-StubVm $state $VM }
    foreach ($s in $vm.switchNames) { [pscustomobject]@{ Name = 'Network Adapter'; VMName = $vm.name; SwitchName = $s } }
  }
}

function Get-VMProcessor {
  [CmdletBinding()] param([Parameter(Mandatory, ValueFromPipeline)]$VM)
  process {
    $vm = Use-StubState { param($state) Resolve-StubVm $state $VM }
    [pscustomobject]@{ VMName = $vm.name; Count = 2; CompatibilityForMigrationEnabled = [bool]$vm.processorCompatibilityForMigration }
  }
}

function Set-VMProcessor {
  [CmdletBinding()] param([Parameter(Mandatory)]$VM, [Nullable[bool]]$CompatibilityForMigrationEnabled)
  $enabled = $CompatibilityForMigrationEnabled
  $failure = Use-StubState -Write {
    param($state)
    $target = Resolve-StubVm $state $VM
    $busy = @(Get-StubActiveJobs $state | Where-Object { $_.vmId -eq $target.vmId }).Count -gt 0
    if ($target.state -ne 'OFF' -or $busy) {
      return "Failed to modify device 'Processor'. The operation cannot be performed while the virtual machine '$($target.name)' is in its current state."
    }
    if ($null -ne $enabled) { $target.processorCompatibilityForMigration = [bool]$enabled }
    $null
  }
  if ($failure) { $PSCmdlet.ThrowTerminatingError((New-StubError $failure 'InvalidState' 'InvalidOperation')) }
}

function Test-StubSwitchMissing($Vm, $Destination) {
  foreach ($s in $Vm.switchNames) {
    if (-not @($Destination.switches | Where-Object { $_.name -eq $s }).Count) { return $s }
  }
  $null
}

# Compare-VM: what would stop a VM from moving to a host, without moving it.
function Compare-VM {
  [CmdletBinding()] param([Parameter(Mandatory)]$VM, [Parameter(Mandatory)][string]$DestinationHost)
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
    $live = ($target.state -in $script:HoldsMemory) -or $target.state -eq 'SAVED'
    if ($live -and $source.facts.cpuVendor -ne $destination.facts.cpuVendor -and -not $target.processorCompatibilityForMigration) {
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

function New-StubPsJob([string]$Name) {
  [pscustomobject]@{ PSTypeName = 'Microsoft.HyperV.PowerShell.VMJob'; Name = $Name; State = 'Running'; HasMoreData = $false }
}

function Move-VM {
  [CmdletBinding()]
  param(
    [Parameter(Mandatory)]$VM,
    [Parameter(Mandatory)][string]$DestinationHost,
    [switch]$IncludeStorage,
    [string]$DestinationStoragePath,
    [switch]$AsJob
  )
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
    foreach ($h in $source, $destination) {
      if (-not $h.settings.enabled) { $ctx.host = $h.facts.name; return @{ error = (New-StubStartError $state 'MIGRATION_DISABLED' $ctx 'Move-VM') } }
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
    $live = ($target.state -in $script:HoldsMemory) -or $target.state -eq 'SAVED'
    if ($live -and $source.facts.cpuVendor -ne $destination.facts.cpuVendor -and -not $target.processorCompatibilityForMigration) {
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
    @{ name = $target.name }
  }
  if ($outcome.Contains('error')) { $PSCmdlet.ThrowTerminatingError($outcome.error) }
  if ($AsJob) { New-StubPsJob "Move-VM $($outcome.name)" }
}

function Move-VMStorage {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$VM, [string]$DestinationStoragePath, [hashtable[]]$Vhds, [switch]$AsJob)
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
    @{ name = $target.name }
  }
  if ($outcome.Contains('error')) { $PSCmdlet.ThrowTerminatingError($outcome.error) }
  if ($AsJob) { New-StubPsJob "Move-VMStorage $($outcome.name)" }
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

function Get-CimInstance {
  [CmdletBinding()]
  param([Parameter(Position = 0)][Alias('Class')][string]$ClassName, [string]$Namespace = 'root\cimv2', [string]$Filter)
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
function Invoke-CimMethod {
  [CmdletBinding()]
  param([Parameter(Mandatory)]$InputObject, [Parameter(Mandatory)][string]$MethodName, [System.Collections.IDictionary]$Arguments)
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

function Get-WinEvent {
  [CmdletBinding()]
  param([string]$LogName, [string]$FilterXPath, [int]$MaxEvents = [int]::MaxValue, [switch]$Oldest)
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
    $xml = '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><EventID>{0}</EventID><EventRecordID>{1}</EventRecordID></System><EventData><Data Name="VmName">{2}</Data></EventData></Event>' -f $e.eventId, $e.recordId, [System.Security.SecurityElement]::Escape([string]$e.vmName)
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

function Get-NetFirewallRule {
  [CmdletBinding()] param([string[]]$Name)
  $rules = Use-StubState { param($state) @((Get-StubLocalHost $state).firewallRules) }
  foreach ($r in $rules) {
    if ($Name -and $r.name -notin $Name) { continue }
    [pscustomobject]@{
      Name = $r.name; DisplayName = $r.displayName; Enabled = $(if ($r.enabled) { 'True' } else { 'False' })
      Direction = 'Inbound'; Action = 'Allow'; Protocol = $r.protocol; LocalPort = $r.localPort
    }
  }
}

function Get-NetFirewallPortFilter {
  [CmdletBinding()] param([Parameter(ValueFromPipeline)]$AssociatedNetFirewallRule)
  process { [pscustomobject]@{ Protocol = $AssociatedNetFirewallRule.Protocol; LocalPort = $AssociatedNetFirewallRule.LocalPort; RemotePort = 'Any' } }
}

function Get-Volume {
  [CmdletBinding()] param()
  $volumes = Use-StubState { param($state) @((Get-StubLocalHost $state).volumes) }
  foreach ($v in $volumes) {
    if ([string]$v.root -match '^([A-Za-z]):\\') {
      [pscustomobject]@{ DriveLetter = [char]$Matches[1]; SizeRemaining = [uint64][string]$v.freeBytes; FileSystemType = 'NTFS' }
    }
  }
}

function Get-NetAdapter {
  [CmdletBinding()] param([string[]]$Name, [switch]$Physical)
  $adapters = Use-StubState { param($state) @((Get-StubLocalHost $state).networkAdapters) }
  $index = 0
  foreach ($a in $adapters) {
    $index++
    if ($Name -and $a.name -notin $Name) { continue }
    [pscustomobject]@{ Name = $a.name; InterfaceDescription = $a.name; ifIndex = $index; Status = 'Up'; Speed = [uint64]$a.linkSpeedBps; LinkSpeed = "$([uint64]$a.linkSpeedBps / 1e9) Gbps" }
  }
}

function Get-NetAdapterRdma {
  [CmdletBinding()] param([string[]]$Name)
  $adapters = Use-StubState { param($state) @((Get-StubLocalHost $state).networkAdapters) }
  foreach ($a in $adapters) {
    if (-not $a.rdmaCapable) { continue }
    if ($Name -and $a.name -notin $Name) { continue }
    [pscustomobject]@{ Name = $a.name; InterfaceDescription = $a.name; Enabled = $true }
  }
}

function Get-NetIPAddress {
  [CmdletBinding()] param([int]$InterfaceIndex)
  $adapters = Use-StubState { param($state) @((Get-StubLocalHost $state).networkAdapters) }
  $index = 0
  foreach ($a in $adapters) {
    $index++
    if ($PSBoundParameters.ContainsKey('InterfaceIndex') -and $index -ne $InterfaceIndex) { continue }
    foreach ($ip in $a.ipAddresses) {
      [pscustomobject]@{ IPAddress = $ip; InterfaceIndex = $index; InterfaceAlias = $a.name; AddressFamily = $(if ($ip.Contains(':')) { 'IPv6' } else { 'IPv4' }) }
    }
  }
}

function Get-ADComputer {
  [CmdletBinding()] param([Parameter(Mandatory)][string]$Identity, [string[]]$Properties)
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
  'Get-VMSwitch', 'Get-VM', 'Get-VMHardDiskDrive', 'Get-VHD', 'Get-VMNetworkAdapter', 'Get-VMProcessor', 'Set-VMProcessor',
  'Compare-VM', 'Move-VM', 'Move-VMStorage', 'Get-CimInstance', 'Invoke-CimMethod', 'Get-WinEvent',
  'Get-NetFirewallRule', 'Get-NetFirewallPortFilter', 'Get-NetAdapter', 'Get-NetAdapterRdma', 'Get-NetIPAddress', 'Get-Volume', 'Get-ADComputer'
)
