// SAVE_VM and STOP_VM: what a maintenance does with a VM that cannot leave its host, when asked to
// (UnmovablePolicy SAVE / SHUT_DOWN). The backend leaves a VM that is already Saved or Off as it is,
// so a command the API sends again (this agent died before answering) changes nothing the second
// time. The inventory is reported either way, so the API sees the VM's state before the answer.
import type { CommandPayload } from "@ferry/protocol";
import type { PowerChange } from "../../backends/types.ts";
import type { HandlerContext } from "./context.ts";

export function powerHandlers(ctx: HandlerContext) {
  async function run(vmId: string, action: () => Promise<PowerChange>) {
    let change: PowerChange;
    try {
      change = await action();
    } finally {
      await ctx.reportInventory();
    }
    ctx.log("vm power state changed", { vmId, state: change.state, changed: change.changed });
    return { vmId, state: change.state, changed: change.changed };
  }
  return {
    /** Save-VM. */
    SAVE_VM: (p: CommandPayload<"SAVE_VM">) => run(p.vmId, () => ctx.backend.saveVm(p.vmId)),
    /** Stop-VM (guest shutdown; never -Force or -TurnOff). */
    STOP_VM: (p: CommandPayload<"STOP_VM">) => run(p.vmId, () => ctx.backend.stopVm(p.vmId)),
  };
}
