// Save-VM and Stop-VM (guest shutdown) on simulated state: what a maintenance does with a VM that
// cannot move when asked to (SAVE, SHUT_DOWN). Stop-VM never turns a VM off: a guest that does not
// answer the shutdown request (injected fault SHUTDOWN_UNAVAILABLE) stays running and the call fails.
import { HyperVError, type PowerChange, type Vm } from "../types.ts";
import type { WorldModel } from "./model.ts";
import type { SimHost } from "./state.ts";

function locate(m: WorldModel, host: SimHost, vmId: string): Vm {
  const loc = typeof vmId === "string" ? m.locateVm(vmId) : undefined;
  if (!loc || loc.host !== host) {
    throw new HyperVError(
      "VM_NOT_FOUND",
      `Hyper-V was unable to find a virtual machine with ID '${String(vmId)}'.`,
    );
  }
  return loc.vm;
}

function refuseBusy(m: WorldModel, vm: Vm): void {
  if (m.activeJobForVm(vm.vmId) || !["RUNNING", "PAUSED", "OFF", "SAVED"].includes(vm.state)) {
    throw new HyperVError(
      "INVALID_VM_STATE",
      `The operation cannot be performed while the virtual machine '${vm.name}' is in its current state.`,
    );
  }
}

/** The VM no longer runs here: like Hyper-V, it reports no assigned memory and no uptime. */
function park(m: WorldModel, vm: Vm, state: "SAVED" | "OFF"): PowerChange {
  vm.state = state;
  vm.memoryAssignedBytes = 0n;
  vm.cpuUsage = 0;
  vm.uptimeSeconds = 0;
  m.dirty = true;
  return { state, changed: true };
}

/** Save-VM: Running or Paused -> Saved. Saved or Off already: unchanged. */
export function saveVm(m: WorldModel, host: SimHost, vmId: string): PowerChange {
  const vm = locate(m, host, vmId);
  refuseBusy(m, vm);
  if (vm.state === "SAVED" || vm.state === "OFF") return { state: vm.state, changed: false };
  return park(m, vm, "SAVED");
}

/** Stop-VM (no -Force, no -TurnOff): Running -> Off through the guest. Off or Saved already: unchanged. */
export function stopVm(m: WorldModel, host: SimHost, vmId: string): PowerChange {
  const vm = locate(m, host, vmId);
  refuseBusy(m, vm);
  if (vm.state === "OFF" || vm.state === "SAVED") return { state: vm.state, changed: false };
  const i = m.state.faults.findIndex((f) => f.vmName === vm.name && f.code === "SHUTDOWN_UNAVAILABLE");
  if (i >= 0 || vm.state === "PAUSED") {
    // One-shot, like every injected fault: the next request finds a guest that answers.
    if (i >= 0) m.state.faults.splice(i, 1);
    m.dirty = true;
    throw new HyperVError(
      "SHUTDOWN_UNAVAILABLE",
      `The guest operating system of '${vm.name}' did not accept a shutdown request (${vm.state === "PAUSED" ? "the virtual machine is paused" : "the shutdown integration service is unavailable"}). It was not turned off.`,
    );
  }
  return park(m, vm, "OFF");
}
