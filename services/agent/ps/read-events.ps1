# Microsoft-Windows-Hyper-V-VMMS-Admin records after a bookmark, oldest first.
# Parameters: { AfterRecordId: number | null, MaxEvents: number }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $after = [long]0
  if ($null -ne $p.AfterRecordId) { $after = [long]$p.AfterRecordId }
  $max = [int]$p.MaxEvents
  $events = New-Object -TypeName System.Collections.ArrayList
  if ($max -gt 0) {
    $records = @()
    try {
      $records = @(Get-WinEvent -LogName 'Microsoft-Windows-Hyper-V-VMMS-Admin' -FilterXPath ('*[System[EventRecordID>' + $after + ']]') -Oldest -MaxEvents $max -ErrorAction Stop)
    }
    catch {
      if ([string]$_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }
    }
    $levels = @{ 1 = 'Error'; 2 = 'Error'; 3 = 'Warning' }
    foreach ($record in $records) {
      # Hyper-V-VMMS-Admin events carry the VM under Event/UserData/VmlEventLog/VmName (and VmId),
      # not Event/EventData/Data[@Name='VmName']. Dot navigation matches local names, whatever the
      # namespace. EventData is read only as a fallback for events shaped the generic way.
      $vmName = $null
      try {
        $xml = [xml]$record.ToXml()
        $userData = $xml.Event.UserData
        if ($null -ne $userData) {
          foreach ($node in @($userData.ChildNodes)) {
            if ($null -ne $node -and $null -ne $node.Item('VmName')) { $vmName = [string]$node.Item('VmName').InnerText }
          }
        }
        if ($null -eq $vmName) {
          foreach ($data in @($xml.Event.EventData.Data)) {
            if ($null -ne $data -and $data.Name -eq 'VmName') { $vmName = [string]$data.InnerText }
          }
        }
      }
      catch { $vmName = $null }
      $level = 'Information'
      if ($levels.ContainsKey([int]$record.Level)) { $level = $levels[[int]$record.Level] }
      [void]$events.Add([pscustomobject]@{
          recordId = [long]$record.RecordId
          eventId = [int]$record.Id
          level = $level
          timeCreated = ConvertTo-FerryDate $record.TimeCreated
          message = [string]$record.Message
          vmName = $vmName
        })
    }
  }
  Write-FerryOk @($events)
}
catch { Write-FerryError $_ }
