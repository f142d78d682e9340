// Compare-VM: what would stop a VM from moving to a host, without moving it.
import { configurationVersion, memory, processor, switches } from "@ferry/hyperv";
import { type CompatibilityIssue, HyperVError } from "../types.ts";
import { FAILURES } from "./failures.ts";
import type { WorldModel } from "./model.ts";
import { simHostFacts, simVmFacts } from "./rules.ts";
import type { SimHost } from "./state.ts";

/** Compare-VM message ids. Only 33012 is confirmed (docs/hyperv.md); the others are the simulator's choice. */
export const COMPARE_MESSAGE_IDS = {
  SWITCH_NOT_FOUND: 33012,
  /** UNCONFIRMED. */
  PROCESSOR_INCOMPATIBLE: 24004,
  /** UNCONFIRMED. */
  INSUFFICIENT_MEMORY: 3050,
  /** UNCONFIRMED. */
  CONFIGURATION_VERSION: 24016,
} as const;

export function compareVm(
  m: WorldModel,
  source: SimHost,
  vmId: string,
  destinationHost: string,
): CompatibilityIssue[] {
  const loc = typeof vmId === "string" ? m.locateVm(vmId) : undefined;
  if (!loc || loc.host !== source) {
    throw new HyperVError(
      "VM_NOT_FOUND",
      FAILURES.VM_NOT_FOUND.message({ vmId: String(vmId), vmName: "", source: "", destination: "" }),
    );
  }
  const destination = typeof destinationHost === "string" ? m.host(destinationHost) : undefined;
  if (!destination) {
    throw new HyperVError(
      "INVALID_PARAMETER",
      `Failed to establish a connection with host ${String(destinationHost)}: No such host is known. (0x80072AF9).`,
    );
  }
  const { vm } = loc;
  const ctx = {
    vmId: vm.vmId,
    vmName: vm.name,
    source: source.facts.name,
    destination: destination.facts.name,
  };
  // The same @ferry/hyperv rules Move-VM applies (docs/hyperv.md).
  const vmf = simVmFacts(vm);
  const dest = simHostFacts(m, destination);
  const issues: CompatibilityIssue[] = [];
  for (const name of vm.switchNames) {
    if (switches({ switchNames: [name] }, dest).status === "FAIL") {
      issues.push({
        message: FAILURES.SWITCH_NOT_FOUND.message({ ...ctx, switchName: name }),
        messageId: COMPARE_MESSAGE_IDS.SWITCH_NOT_FOUND,
        source: "Network Adapter",
      });
    }
  }
  if (processor(vmf, simHostFacts(m, source), dest).status === "FAIL") {
    issues.push({
      message: FAILURES.PROCESSOR_INCOMPATIBLE.message(ctx),
      messageId: COMPARE_MESSAGE_IDS.PROCESSOR_INCOMPATIBLE,
      source: "Processor",
    });
  }
  if (memory(vmf, dest).status === "FAIL") {
    issues.push({
      message: FAILURES.INSUFFICIENT_MEMORY.message(ctx),
      messageId: COMPARE_MESSAGE_IDS.INSUFFICIENT_MEMORY,
      source: "Memory",
    });
  }
  if (configurationVersion(vmf, dest).status === "FAIL") {
    issues.push({
      message: `The virtual machine '${vm.name}' has configuration version ${vm.configurationVersion}, which host '${destination.facts.name}' does not support.`,
      messageId: COMPARE_MESSAGE_IDS.CONFIGURATION_VERSION,
      source: vm.name,
    });
  }
  return issues;
}
