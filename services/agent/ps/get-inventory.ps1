# Everything the agent reports about its host in one call: Get-VMHost, migration networks, switches,
# adapters, the migration firewall rules, Win32 facts, AD delegations and every VM. Parameters: {}.
. (Join-Path $PSScriptRoot '_common.ps1')

# Rules that matter for migration, matched on Name (DisplayName is localized).
$FirewallRuleNames = @('VIRT-MIGL-In-TCP-NoScope', 'VIRT-MIGL-In-TCP', 'FPS-SMB-In-TCP')

function Get-FerryDelegations([string]$ComputerName) {
  if (-not (Get-Command -Name Get-ADComputer -ErrorAction SilentlyContinue)) { return $null }
  try {
    $computer = Get-ADComputer -Identity $ComputerName -Properties 'msDS-AllowedToDelegateTo' -ErrorAction Stop
    return , @($computer.'msDS-AllowedToDelegateTo' | ForEach-Object { [string]$_ })
  }
  catch { return $null }
}

try {
  $null = Read-FerryParameters $args[0]
  $vmHost = Get-VMHost
  $computer = Get-CimInstance -ClassName Win32_ComputerSystem
  $processor = @(Get-CimInstance -ClassName Win32_Processor)[0]
  $os = Get-CimInstance -ClassName Win32_OperatingSystem
  $versions = New-Object -TypeName System.Collections.ArrayList
  foreach ($v in @(Get-VMHostSupportedVersion)) { [void]$versions.Add($v.Version.ToString()) }
  $domain = $null
  if ($computer.PartOfDomain) { $domain = [string]$computer.Domain }

  $hostFacts = [pscustomobject]@{
    name = [string]$vmHost.Name
    fqdn = ConvertTo-FerryString $vmHost.FullyQualifiedDomainName
    domain = $domain
    cpuManufacturer = [string]$processor.Manufacturer
    cpuModel = [string]$processor.Name
    logicalProcessorCount = [int]$vmHost.LogicalProcessorCount
    memoryCapacityBytes = [long]$vmHost.MemoryCapacity
    memoryAvailableBytes = [long]$os.FreePhysicalMemory * 1024
    supportedVmVersions = @($versions)
    virtualMachinePath = [string]$vmHost.VirtualMachinePath
    virtualHardDiskPath = [string]$vmHost.VirtualHardDiskPath
    delegations = Get-FerryDelegations ([string]$vmHost.Name)
  }

  $networks = New-Object -TypeName System.Collections.ArrayList
  foreach ($n in @(Get-VMMigrationNetwork)) {
    $priority = $null
    if ($null -ne $n.Priority) { $priority = [long]$n.Priority }
    [void]$networks.Add([pscustomobject]@{ subnet = [string]$n.Subnet; priority = $priority })
  }
  $settings = [pscustomobject]@{
    enabled = [bool]$vmHost.VirtualMachineMigrationEnabled
    authenticationType = ConvertTo-FerryString $vmHost.VirtualMachineMigrationAuthenticationType
    performanceOption = ConvertTo-FerryString $vmHost.VirtualMachineMigrationPerformanceOption
    maximumVirtualMachineMigrations = [long]$vmHost.MaximumVirtualMachineMigrations
    maximumStorageMigrations = [long]$vmHost.MaximumStorageMigrations
    useAnyNetworkForMigration = [bool]$vmHost.UseAnyNetworkForMigration
    networks = @($networks)
  }

  $switches = New-Object -TypeName System.Collections.ArrayList
  foreach ($s in @(Get-VMSwitch)) {
    [void]$switches.Add([pscustomobject]@{ name = [string]$s.Name; switchType = ConvertTo-FerryString $s.SwitchType })
  }

  $rdmaNames = @{}
  foreach ($r in @(Get-NetAdapterRdma -ErrorAction SilentlyContinue)) { $rdmaNames[[string]$r.Name] = $true }
  $addresses = @{}
  foreach ($ip in @(Get-NetIPAddress -ErrorAction SilentlyContinue)) {
    $key = [string]$ip.InterfaceIndex
    if (-not $addresses.ContainsKey($key)) { $addresses[$key] = New-Object -TypeName System.Collections.ArrayList }
    [void]$addresses[$key].Add([string]$ip.IPAddress)
  }
  $adapters = New-Object -TypeName System.Collections.ArrayList
  foreach ($a in @(Get-NetAdapter)) {
    $ips = @()
    if ($addresses.ContainsKey([string]$a.ifIndex)) { $ips = @($addresses[[string]$a.ifIndex]) }
    [void]$adapters.Add([pscustomobject]@{
        name = [string]$a.Name
        linkSpeedBps = [uint64]$a.Speed
        rdmaCapable = $rdmaNames.ContainsKey([string]$a.Name)
        ipAddresses = $ips
      })
  }

  $rules = New-Object -TypeName System.Collections.ArrayList
  foreach ($rule in @(Get-NetFirewallRule -Name $FirewallRuleNames -ErrorAction SilentlyContinue)) {
    $filter = $rule | Get-NetFirewallPortFilter
    [void]$rules.Add([pscustomobject]@{
        name = [string]$rule.Name
        displayName = [string]$rule.DisplayName
        enabled = ConvertTo-FerryString $rule.Enabled
        protocol = ConvertTo-FerryString $filter.Protocol
        localPort = (@($filter.LocalPort) | ForEach-Object { [string]$_ }) -join ','
      })
  }

  $volumes = New-Object -TypeName System.Collections.ArrayList
  foreach ($v in @(Get-Volume -ErrorAction SilentlyContinue)) {
    if ($v.DriveLetter) {
      [void]$volumes.Add([pscustomobject]@{ root = ([string]$v.DriveLetter + ':\'); freeBytes = [uint64]$v.SizeRemaining })
    }
  }

  $vms = New-Object -TypeName System.Collections.ArrayList
  foreach ($vm in @(Get-VM)) {
    $drives = New-Object -TypeName System.Collections.ArrayList
    foreach ($d in @(Get-VMHardDiskDrive -VM $vm)) {
      $size = 0
      if ($d.Path) {
        try { $size = [uint64](Get-VHD -Path $d.Path -ErrorAction Stop).Size } catch { $size = 0 }
      }
      [void]$drives.Add([pscustomobject]@{ path = [string]$d.Path; sizeBytes = $size })
    }
    $switchNames = New-Object -TypeName System.Collections.ArrayList
    foreach ($adapter in @(Get-VMNetworkAdapter -VM $vm)) {
      if ($adapter.SwitchName) { [void]$switchNames.Add([string]$adapter.SwitchName) }
    }
    $vmProcessor = Get-VMProcessor -VM $vm
    [void]$vms.Add([pscustomobject]@{
        vmId = $vm.Id.ToString()
        name = [string]$vm.Name
        state = ConvertTo-FerryString $vm.State
        status = ConvertTo-FerryString $vm.Status
        cpuUsage = [double]$vm.CPUUsage
        memoryAssignedBytes = [long]$vm.MemoryAssigned
        memoryStartupBytes = [long]$vm.MemoryStartup
        uptimeSeconds = [double]$vm.Uptime.TotalSeconds
        generation = [int]$vm.Generation
        configurationVersion = [string]$vm.Version
        processorCompatibilityForMigration = [bool]$vmProcessor.CompatibilityForMigrationEnabled
        isClustered = [bool]$vm.IsClustered
        path = [string]$vm.Path
        hardDrives = @($drives)
        switchNames = @($switchNames)
      })
  }

  Write-FerryOk ([pscustomobject]@{
      host = $hostFacts
      settings = $settings
      switches = @($switches)
      networkAdapters = @($adapters)
      firewallRules = @($rules)
      volumes = @($volumes)
      vms = @($vms)
    })
}
catch { Write-FerryError $_ }
