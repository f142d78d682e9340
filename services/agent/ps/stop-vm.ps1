# Stop-VM (a maintenance's SHUT_DOWN policy for a VM that cannot move): the guest operating system is
# asked to shut down, and the call returns once the VM is Off. Never -TurnOff (pulling the power) and
# never -Force: -Force makes the guest close applications that have unsaved data, and where the guest
# cannot be asked at all (no shutdown integration service) Stop-VM then turns the VM off instead of
# asking. Without -Force that case needs a confirmation this non-interactive session cannot give, so
# Stop-VM fails and the VM keeps running: reported as SHUTDOWN_UNAVAILABLE. -Confirm:$false only
# skips the ShouldProcess confirmation of the shutdown itself.
# A VM that is Off or Saved already is left as it is (changed = false).
# Parameters: { VmId: string }. Result: { state: <Hyper-V state name>, changed: bool }.
. (Join-Path $PSScriptRoot '_common.ps1')
try {
  $p = Read-FerryParameters $args[0]
  $vm = Get-FerryVm ([string]$p.VmId)
  $state = $vm.State.ToString()
  if (@('Off', 'Saved', 'FastSaved') -contains $state) {
    Write-FerryOk ([pscustomobject]@{ state = $state; changed = $false })
  }
  elseif ($state -ne 'Running') {
    Stop-Ferry 'SHUTDOWN_UNAVAILABLE' ('The virtual machine ''' + $vm.Name + ''' is ' + $state + ': only a running guest can be asked to shut down. It was not turned off.')
  }
  else {
    $refusal = $null
    try { Stop-VM -VM $vm -Confirm:$false }
    catch { $refusal = $_ }
    $after = Get-FerryVm ([string]$p.VmId)
    $now = $after.State.ToString()
    if ($now -eq 'Off') {
      Write-FerryOk ([pscustomobject]@{ state = $now; changed = $true })
    }
    elseif ($null -ne $refusal -and $refusal.Exception.Message -match 'in its current state|invalid state') {
      # Hyper-V refused the VM as it is (it is moving, say): INVALID_VM_STATE, not the guest's doing.
      throw $refusal
    }
    elseif ($null -ne $refusal -and $now -eq 'Running') {
      Stop-Ferry 'SHUTDOWN_UNAVAILABLE' ('The guest operating system of ''' + $vm.Name + ''' did not accept a shutdown request; it was not turned off. Hyper-V: ' + $refusal.Exception.Message)
    }
    elseif ($null -ne $refusal) { throw $refusal }
    else { Write-FerryOk ([pscustomobject]@{ state = $now; changed = $true }) }
  }
}
catch { Write-FerryError $_ }
