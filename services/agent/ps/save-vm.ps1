# Save-VM (a maintenance's SAVE policy for a VM that cannot move): a Running or Paused VM is saved and
# frees its memory. One that is Saved or Off already is left as it is (changed = false), so a command
# run a second time (the agent died before answering) changes nothing.
# Parameters: { VmId: string }. Result: { state: <Hyper-V state name>, changed: bool }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  $state = $vm.State.ToString()
  if (@('Saved', 'FastSaved', 'Off') -contains $state) {
    Write-FerryOk ([pscustomobject]@{ state = $state; changed = $false })
  }
  elseif (@('Running', 'Paused') -notcontains $state) {
    Stop-Ferry 'INVALID_VM_STATE' ('The virtual machine ''' + $vm.Name + ''' is ' + $state + ': it can be saved only while Running or Paused.')
  }
  else {
    Save-VM -VM $vm -Confirm:$false
    $after = Get-FerryVm ([string]$p.VmId)
    Write-FerryOk ([pscustomobject]@{ state = $after.State.ToString(); changed = $true })
  }
}
catch { Write-FerryError $_ }
