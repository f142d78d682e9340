// Rules about a VM fitting its destination. docs/hyperv.md "Switches", "Memory", "Processor",
// "Configuration version", "Clustered VMs".
import type { HostFacts, VmFacts } from "../facts.ts";
import { fail, pass, type Verdict, warn } from "../verdict.ts";

/** States in which the VM holds memory and CPU state: a live move copies both. */
const RUNNING_LIKE = new Set(["RUNNING", "PAUSED"]);
/** States whose processor state travels with the move (a Saved VM resumes from it). */
const HAS_CPU_STATE = new Set(["RUNNING", "PAUSED", "SAVED"]);

export function holdsMemory(state: string): boolean {
  return RUNNING_LIKE.has(state);
}

/** Memory the destination must give a running VM: what it has now, else its startup memory. */
export function memoryNeeded(vm: Pick<VmFacts, "memoryAssignedBytes" | "memoryStartupBytes">): bigint {
  return vm.memoryAssignedBytes > 0n ? vm.memoryAssignedBytes : vm.memoryStartupBytes;
}

export function switches(
  vm: Pick<VmFacts, "switchNames">,
  dest: Pick<HostFacts, "name" | "switches">,
): Verdict {
  const have = new Set(dest.switches.map((s) => s.toLowerCase()));
  const missing = vm.switchNames.filter((s) => !have.has(s.toLowerCase()));
  return missing.length
    ? fail(
        `${dest.name} has no virtual switch ${missing.map((s) => `'${s}'`).join(", ")} (Compare-VM 33012 "Could not find Ethernet switch").`,
        `Create the switch on ${dest.name} (New-VMSwitch -Name '${missing[0]}'), or connect the VM's adapter to a switch both hosts have.`,
        "SWITCH_NOT_FOUND",
      )
    : pass(`${dest.name} has every switch the VM uses.`);
}

const gib = (bytes: bigint) => `${(Number(bytes) / 2 ** 30).toFixed(1)} GiB`;

export function memory(
  vm: Pick<VmFacts, "state" | "memoryAssignedBytes" | "memoryStartupBytes">,
  dest: Pick<HostFacts, "name" | "memoryAvailableBytes">,
): Verdict {
  if (!holdsMemory(vm.state))
    return pass(`The VM is ${vm.state.toLowerCase()}: no memory is reserved on ${dest.name} for the move.`);
  const need = memoryNeeded(vm);
  return dest.memoryAvailableBytes >= need
    ? pass(`${dest.name} has ${gib(dest.memoryAvailableBytes)} free for ${gib(need)}.`)
    : fail(
        `${dest.name} has ${gib(dest.memoryAvailableBytes)} free; the VM needs ${gib(need)} (0x800705AA).`,
        `Free memory on ${dest.name} (move or stop other VMs) or choose another destination.`,
        "INSUFFICIENT_MEMORY",
      );
}

/**
 * Intel <-> AMD: no live (or saved-state) move, with or without processor compatibility mode, which
 * only hides newer features within one vendor. An Off VM has no processor state and starts fresh.
 */
export function processor(
  vm: Pick<VmFacts, "name" | "state" | "processorCompatibilityForMigration">,
  source: Pick<HostFacts, "name" | "cpuVendor">,
  dest: Pick<HostFacts, "name" | "cpuVendor">,
): Verdict {
  if (!HAS_CPU_STATE.has(vm.state)) {
    return pass(
      `${vm.name} is ${vm.state.toLowerCase()}: it carries no processor state and starts fresh on ${dest.name}.`,
    );
  }
  if (source.cpuVendor !== dest.cpuVendor && source.cpuVendor !== "OTHER" && dest.cpuVendor !== "OTHER") {
    return fail(
      `${source.name} is ${source.cpuVendor} and ${dest.name} is ${dest.cpuVendor}: a ${vm.state.toLowerCase()} VM cannot move between CPU vendors, with or without processor compatibility mode.`,
      `Choose a ${source.cpuVendor} destination, or shut ${vm.name} down (Stop-VM) and move it while it is Off.`,
      "PROCESSOR_INCOMPATIBLE",
    );
  }
  if (source.cpuVendor !== dest.cpuVendor) {
    return warn(
      `The CPU vendor of ${source.cpuVendor === "OTHER" ? source.name : dest.name} is unknown: if it differs, the move fails.`,
      "Check both hosts' processors (Get-CimInstance Win32_Processor); live moves stay within one vendor.",
      "PROCESSOR_INCOMPATIBLE",
    );
  }
  return pass(
    vm.processorCompatibilityForMigration
      ? `Both hosts are ${source.cpuVendor}; processor compatibility masks newer features.`
      : `Both hosts are ${source.cpuVendor}. If ${dest.name} is an older generation, Hyper-V refuses the move unless processor compatibility is on (set while the VM is Off).`,
  );
}

/** A configuration version can only be raised, so the destination must support the VM's version. */
export function configurationVersion(
  vm: Pick<VmFacts, "name" | "configurationVersion">,
  dest: Pick<HostFacts, "name" | "supportedVmVersions">,
): Verdict {
  if (dest.supportedVmVersions.length === 0) {
    return warn(
      `${dest.name} has not reported the configuration versions it supports.`,
      `Wait for ${dest.name}'s agent to report (Get-VMHostSupportedVersion).`,
      "INVALID_VM_STATE",
    );
  }
  return dest.supportedVmVersions.includes(vm.configurationVersion)
    ? pass(`${dest.name} supports configuration version ${vm.configurationVersion}.`)
    : fail(
        `${dest.name} does not support configuration version ${vm.configurationVersion} (it supports ${dest.supportedVmVersions.join(", ")}).`,
        `Choose a destination that supports version ${vm.configurationVersion} (a newer Windows Server). A version can only be raised, never lowered, so ${vm.name} cannot be made to fit ${dest.name}.`,
        "INVALID_VM_STATE",
      );
}

/** A clustered (highly available) VM belongs to its failover cluster: it moves through the cluster. */
export function clustered(vm: Pick<VmFacts, "name" | "isClustered">): Verdict {
  return vm.isClustered
    ? fail(
        `${vm.name} is a clustered VM: a plain Move-VM does not move it, and Ferry does not manage clusters yet.`,
        `Move it through the cluster (Move-ClusterVirtualMachineRole -Name '${vm.name}' -Node <node>), or in Failover Cluster Manager.`,
        "INVALID_VM_STATE",
      )
    : pass(`${vm.name} is not clustered.`);
}

/** Hyper-V moves Running, Off, Saved and Paused VMs; transitional states are refused. */
export function vmState(vm: Pick<VmFacts, "name" | "state">): Verdict {
  return ["RUNNING", "OFF", "SAVED", "PAUSED"].includes(vm.state)
    ? pass(`${vm.name} is ${vm.state.toLowerCase()}.`)
    : fail(
        `${vm.name} is ${vm.state.toLowerCase()}.`,
        "Wait until the VM is running, off, saved or paused.",
        "INVALID_VM_STATE",
      );
}
