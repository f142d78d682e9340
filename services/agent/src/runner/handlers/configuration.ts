// Host configuration commands (Enable-VMMigration, migration networks, Set-VMHost, Set-VMProcessor). Each applies one change through the backend, then
// reports the inventory (forced) so the API shows the change before the command is answered.
// Hyper-V failures surface as HyperVError (the runner journals and answers them).
import type { CommandPayload } from "@ferry/protocol";
import { type HostSettingsChange, HyperVError, type MigrationNetwork } from "../../backends/types.ts";
import type { HandlerContext } from "./context.ts";

const sameSubnet = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Only the Set-VMHost keys of a payload (the protocol schema already checked their types). */
function settingsChange(payload: CommandPayload<"SET_MIGRATION_SETTINGS">): HostSettingsChange {
  const change: HostSettingsChange = {};
  if (payload.authenticationType !== undefined) change.authenticationType = payload.authenticationType;
  if (payload.performanceOption !== undefined) change.performanceOption = payload.performanceOption;
  if (payload.maximumVirtualMachineMigrations !== undefined)
    change.maximumVirtualMachineMigrations = payload.maximumVirtualMachineMigrations;
  if (payload.maximumStorageMigrations !== undefined)
    change.maximumStorageMigrations = payload.maximumStorageMigrations;
  if (payload.useAnyNetworkForMigration !== undefined)
    change.useAnyNetworkForMigration = payload.useAnyNetworkForMigration;
  return change;
}

export function configurationHandlers(ctx: HandlerContext) {
  const { backend } = ctx;

  /**
   * Runs the change, reports the inventory, answers with the resulting settings. The inventory is
   * reported after a refusal too: the API validated against what it had stored, which was stale.
   */
  async function apply<D extends object>(change: () => Promise<D>) {
    let detail: D;
    try {
      detail = await change();
    } finally {
      await ctx.reportInventory();
    }
    const { settings } = await backend.getInventory();
    return { ...detail, settings };
  }
  const done = async (step: Promise<void>) => {
    await step;
    return {};
  };

  return {
    /** Enable-VMMigration. */
    ENABLE_MIGRATION: () => apply(() => done(backend.enableMigration())),

    /** Disable-VMMigration. */
    DISABLE_MIGRATION: () => apply(() => done(backend.disableMigration())),

    /** Add-VMMigrationNetwork; an existing subnet gets the requested priority instead. */
    ADD_MIGRATION_NETWORK: (payload: CommandPayload<"ADD_MIGRATION_NETWORK">) =>
      apply(async () => {
        const network: MigrationNetwork = { subnet: payload.subnet, priority: payload.priority };
        try {
          await backend.addMigrationNetwork(network);
          return { added: true };
        } catch (error) {
          if (!(error instanceof HyperVError) || error.code !== "NETWORK_EXISTS") throw error;
          await backend.setMigrationNetworkPriority(network);
          return { added: false };
        }
      }),

    /** Remove-VMMigrationNetwork (NETWORK_NOT_FOUND when the host does not have it). */
    REMOVE_MIGRATION_NETWORK: (payload: CommandPayload<"REMOVE_MIGRATION_NETWORK">) =>
      apply(() => done(backend.removeMigrationNetwork(payload.subnet))),

    /** Set-VMHost with the given settings only. */
    SET_MIGRATION_SETTINGS: (payload: CommandPayload<"SET_MIGRATION_SETTINGS">) =>
      apply(() => done(backend.setHostSettings(settingsChange(payload)))),

    /**
     * Converges to a desired state (a profile): only the keys present are managed. Networks are
     * made exactly the given list; then Set-VMHost for what differs; then enable/disable.
     */
    APPLY_MIGRATION_SETTINGS: (payload: CommandPayload<"APPLY_MIGRATION_SETTINGS">) =>
      apply(async () => {
        const { settings: current } = await backend.getInventory();
        const changes: string[] = [];
        if (payload.networks) {
          const wanted = payload.networks;
          for (const have of current.networks) {
            if (!wanted.some((w) => sameSubnet(w.subnet, have.subnet))) {
              await backend.removeMigrationNetwork(have.subnet);
              changes.push(`removed network ${have.subnet}`);
            }
          }
          for (const want of wanted) {
            const have = current.networks.find((n) => sameSubnet(n.subnet, want.subnet));
            if (!have) {
              await backend.addMigrationNetwork({ subnet: want.subnet, priority: want.priority ?? null });
              changes.push(`added network ${want.subnet}`);
            } else if ((have.priority ?? null) !== (want.priority ?? null)) {
              await backend.setMigrationNetworkPriority({
                subnet: have.subnet,
                priority: want.priority ?? null,
              });
              changes.push(`set priority of ${have.subnet}`);
            }
          }
        }
        const wanted = settingsChange(payload);
        const differing: HostSettingsChange = {};
        for (const [key, value] of Object.entries(wanted) as [keyof HostSettingsChange, never][]) {
          if (current[key] !== value) differing[key] = value;
        }
        if (Object.keys(differing).length > 0) {
          await backend.setHostSettings(differing);
          changes.push(`set ${Object.keys(differing).join(", ")}`);
        }
        if (typeof payload.enabled === "boolean" && payload.enabled !== current.enabled) {
          await (payload.enabled ? backend.enableMigration() : backend.disableMigration());
          changes.push(payload.enabled ? "enabled migration" : "disabled migration");
        }
        return { changes };
      }),

    /** Set-VMProcessor -CompatibilityForMigrationEnabled (INVALID_VM_STATE unless the VM is Off). */
    SET_PROCESSOR_COMPATIBILITY: async (payload: CommandPayload<"SET_PROCESSOR_COMPATIBILITY">) => {
      const vmId = payload.vmId;
      try {
        await backend.setProcessorCompatibility(vmId, payload.enabled);
      } finally {
        await ctx.reportInventory();
      }
      return { vmId, processorCompatibilityForMigration: payload.enabled };
    },
  };
}
