// Host configuration commands (seed steps 1-5). Each applies one change through the backend, then
// reports the inventory (forced) so the API shows the change before the command is answered.
// Hyper-V failures surface as HyperVError (the runner journals and answers them).
import {
  type AuthenticationType,
  type HostSettingsChange,
  HyperVError,
  type MigrationNetwork,
  type PerformanceOption,
} from "../../backends/types.ts";
import type { HandlerContext } from "./index.ts";

function str(payload: Record<string, unknown>, key: string): string {
  const v = payload[key];
  if (typeof v !== "string" || v.length === 0)
    throw new HyperVError("INVALID_PARAMETER", `${key} is required`);
  return v;
}

function priorityOf(payload: Record<string, unknown>): number | null {
  const v = payload.priority;
  if (v === null || v === undefined) return null;
  if (typeof v !== "number") throw new HyperVError("INVALID_PARAMETER", "priority must be a number");
  return v;
}

const sameSubnet = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Only the Set-VMHost keys of a payload (unknown keys are ignored, types checked by the backend). */
function settingsChange(payload: Record<string, unknown>): HostSettingsChange {
  const change: HostSettingsChange = {};
  if (payload.authenticationType !== undefined)
    change.authenticationType = payload.authenticationType as AuthenticationType;
  if (payload.performanceOption !== undefined)
    change.performanceOption = payload.performanceOption as PerformanceOption;
  if (payload.maximumVirtualMachineMigrations !== undefined)
    change.maximumVirtualMachineMigrations = payload.maximumVirtualMachineMigrations as number;
  if (payload.maximumStorageMigrations !== undefined)
    change.maximumStorageMigrations = payload.maximumStorageMigrations as number;
  if (payload.useAnyNetworkForMigration !== undefined)
    change.useAnyNetworkForMigration = payload.useAnyNetworkForMigration as boolean;
  return change;
}

export function configurationHandlers(ctx: HandlerContext) {
  const { backend } = ctx;

  /**
   * Runs the change, reports the inventory, answers with the resulting settings. The inventory is
   * reported after a refusal too: the API validated against what it had stored, which was stale.
   */
  async function apply(change: () => Promise<unknown>) {
    let detail: unknown;
    try {
      detail = await change();
    } finally {
      await ctx.reportInventory();
    }
    const { settings } = await backend.getInventory();
    return { settings, ...(detail && typeof detail === "object" ? detail : {}) };
  }

  return {
    /** Enable-VMMigration. */
    ENABLE_MIGRATION: () => apply(() => backend.enableMigration()),

    /** Disable-VMMigration. */
    DISABLE_MIGRATION: () => apply(() => backend.disableMigration()),

    /** Add-VMMigrationNetwork; an existing subnet gets the requested priority instead. */
    ADD_MIGRATION_NETWORK: (payload: Record<string, unknown>) =>
      apply(async () => {
        const network: MigrationNetwork = { subnet: str(payload, "subnet"), priority: priorityOf(payload) };
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
    REMOVE_MIGRATION_NETWORK: (payload: Record<string, unknown>) =>
      apply(() => backend.removeMigrationNetwork(str(payload, "subnet"))),

    /** Set-VMHost with the given settings only. */
    SET_MIGRATION_SETTINGS: (payload: Record<string, unknown>) =>
      apply(() => backend.setHostSettings(settingsChange(payload))),

    /**
     * Converges to a desired state (a profile): only the keys present are managed. Networks are
     * made exactly the given list; then Set-VMHost for what differs; then enable/disable.
     */
    APPLY_MIGRATION_SETTINGS: (payload: Record<string, unknown>) =>
      apply(async () => {
        const { settings: current } = await backend.getInventory();
        const changes: string[] = [];
        if (Array.isArray(payload.networks)) {
          const wanted = payload.networks as MigrationNetwork[];
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
    SET_PROCESSOR_COMPATIBILITY: async (payload: Record<string, unknown>) => {
      const vmId = str(payload, "vmId");
      if (typeof payload.enabled !== "boolean")
        throw new HyperVError("INVALID_PARAMETER", "enabled must be a boolean");
      try {
        await backend.setProcessorCompatibility(vmId, payload.enabled);
      } finally {
        await ctx.reportInventory();
      }
      return { vmId, processorCompatibilityForMigration: payload.enabled };
    },
  };
}
