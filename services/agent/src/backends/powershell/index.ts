// The PowerShell Hyper-V backend: each HyperVBackend method runs one fixed script from
// services/agent/ps in a persistent PowerShell session. Parameters travel as base64 JSON (see
// session.ts): VM names, paths, subnets and host names never become script text.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defaultPowerShell } from "../../config/load.ts";
import {
  type CompatibilityIssue,
  type HostEvent,
  type HostSettingsChange,
  type HyperVBackend,
  HyperVError,
  type Inventory,
  type JobStatus,
  type MigrationNetwork,
  type MoveStorageRequest,
  type MoveVmRequest,
  type PowerChange,
} from "../types.ts";
import { toHyperVError } from "./errors.ts";
import {
  parseCompatibility,
  parseEvents,
  parseInventory,
  parseJob,
  parseJobs,
  parsePowerChange,
} from "./parse.ts";
import { PowerShellSession } from "./session.ts";

export interface PowerShellBackendOptions {
  /** pwsh / powershell.exe path; default powershell.exe on Windows, else NODE_POWERSHELL, then "pwsh". */
  executable?: string;
  /** A module imported at session start in place of Hyper-V's (the agent's --ps-module; the tests' stub). */
  psModulePath?: string;
  /** Folder of the operation scripts; default services/agent/ps. */
  scriptsDir?: string;
  /** Per call; the session is restarted after a timeout. Default 120 s. */
  callTimeoutMs?: number;
  /** The host this backend manages; exported to the session as FERRY_STUB_HOST (read by the stub module only). */
  hostName?: string;
  /** Extra environment for the PowerShell process (default: this process's environment). */
  env?: Record<string, string>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** ps/ beside the bundled ferry-agent.js in the package, else services/agent/ps next to src/. */
export const DEFAULT_SCRIPTS_DIR =
  [resolve(here, "ps"), resolve(here, "../../../ps")].find((dir) => existsSync(join(dir, "_init.ps1"))) ??
  resolve(here, "../../../ps");

const DEFAULT_CALL_TIMEOUT_MS = 120_000;

function invalid(message: string): HyperVError {
  return new HyperVError("INVALID_PARAMETER", message);
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== "string" || value === "") throw invalid(`${what} must be a non-empty string.`);
  return value;
}

function requireCount(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw invalid(`${what} must be a whole number from 1 to 4294967295.`);
  }
  return value;
}

function requirePriority(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw invalid("priority must be a whole number from 0 to 4294967295, or null.");
  }
  return value;
}

export function createPowerShellBackend(options: PowerShellBackendOptions = {}): HyperVBackend {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.hostName) env.FERRY_STUB_HOST = options.hostName;
  const session = new PowerShellSession({
    executable: options.executable ?? defaultPowerShell({ platform: process.platform, env: process.env }),
    scriptsDir: options.scriptsDir ?? DEFAULT_SCRIPTS_DIR,
    psModulePath: options.psModulePath ?? null,
    callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
    env,
  });

  /** Runs one script; its error envelope becomes a typed HyperVError. */
  async function call(op: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const envelope = await session.run(op, params);
    if (!envelope.ok) throw toHyperVError(envelope.error);
    return envelope.data;
  }

  return {
    kind: "powershell",

    async getInventory(): Promise<Inventory> {
      return parseInventory(await call("get-inventory"));
    },

    async enableMigration(): Promise<void> {
      await call("enable-migration");
    },

    async disableMigration(): Promise<void> {
      await call("disable-migration");
    },

    async addMigrationNetwork(network: MigrationNetwork): Promise<void> {
      const params: Record<string, unknown> = { Subnet: requireString(network.subnet, "subnet") };
      const priority = requirePriority(network.priority);
      if (priority !== null) params.Priority = priority;
      await call("add-migration-network", params);
    },

    async setMigrationNetworkPriority(network: MigrationNetwork): Promise<void> {
      await call("set-migration-network", {
        Subnet: requireString(network.subnet, "subnet"),
        Priority: requirePriority(network.priority),
      });
    },

    async removeMigrationNetwork(subnet: string): Promise<void> {
      await call("remove-migration-network", { Subnet: requireString(subnet, "subnet") });
    },

    async setHostSettings(change: HostSettingsChange): Promise<void> {
      const params: Record<string, unknown> = {};
      if (change.authenticationType !== undefined) {
        const names = { CREDSSP: "CredSSP", KERBEROS: "Kerberos" } as const;
        const name = names[change.authenticationType];
        if (!name) throw invalid("authenticationType must be CREDSSP or KERBEROS.");
        params.VirtualMachineMigrationAuthenticationType = name;
      }
      if (change.performanceOption !== undefined) {
        const names = { TCPIP: "TCPIP", COMPRESSION: "Compression", SMB: "SMB" } as const;
        const name = names[change.performanceOption];
        if (!name) throw invalid("performanceOption must be TCPIP, COMPRESSION or SMB.");
        params.VirtualMachineMigrationPerformanceOption = name;
      }
      if (change.maximumVirtualMachineMigrations !== undefined) {
        params.MaximumVirtualMachineMigrations = requireCount(
          change.maximumVirtualMachineMigrations,
          "maximumVirtualMachineMigrations",
        );
      }
      if (change.maximumStorageMigrations !== undefined) {
        params.MaximumStorageMigrations = requireCount(
          change.maximumStorageMigrations,
          "maximumStorageMigrations",
        );
      }
      if (change.useAnyNetworkForMigration !== undefined) {
        if (typeof change.useAnyNetworkForMigration !== "boolean") {
          throw invalid("useAnyNetworkForMigration must be a boolean.");
        }
        params.UseAnyNetworkForMigration = change.useAnyNetworkForMigration;
      }
      if (Object.keys(params).length === 0) return;
      await call("set-host-settings", params);
    },

    async setProcessorCompatibility(vmId: string, enabled: boolean): Promise<void> {
      await call("set-processor-compatibility", {
        VmId: requireString(vmId, "vmId"),
        CompatibilityForMigrationEnabled: enabled === true,
      });
    },

    async saveVm(vmId: string): Promise<PowerChange> {
      return parsePowerChange(await call("save-vm", { VmId: requireString(vmId, "vmId") }));
    },

    async stopVm(vmId: string): Promise<PowerChange> {
      return parsePowerChange(await call("stop-vm", { VmId: requireString(vmId, "vmId") }));
    },

    async compareVm(vmId: string, destinationHost: string): Promise<CompatibilityIssue[]> {
      const data = await call("compare-vm", {
        VmId: requireString(vmId, "vmId"),
        DestinationHost: requireString(destinationHost, "destinationHost"),
      });
      return parseCompatibility(data);
    },

    async startMoveVm(request: MoveVmRequest): Promise<JobStatus> {
      const params: Record<string, unknown> = {
        VmId: requireString(request.vmId, "vmId"),
        DestinationHost: requireString(request.destinationHost, "destinationHost"),
        IncludeStorage: request.includeStorage === true,
        DestinationStoragePath: null,
      };
      if (request.includeStorage) {
        params.DestinationStoragePath = requireString(
          request.destinationStoragePath,
          "destinationStoragePath",
        );
      } else if (request.destinationStoragePath) {
        throw invalid("destinationStoragePath can only be used together with includeStorage.");
      }
      return parseJob(await call("move-vm", params));
    },

    async startMoveStorage(request: MoveStorageRequest): Promise<JobStatus> {
      const hasPath =
        typeof request.destinationStoragePath === "string" && request.destinationStoragePath !== "";
      const hasVhds = Array.isArray(request.vhds) && request.vhds.length > 0;
      if (hasPath === hasVhds)
        throw invalid("Specify either destinationStoragePath or vhds (at least one disk).");
      const params: Record<string, unknown> = { VmId: requireString(request.vmId, "vmId") };
      if (hasPath) {
        params.DestinationStoragePath = request.destinationStoragePath;
      } else {
        params.Vhds = (request.vhds ?? []).map((v) => ({
          SourceFilePath: requireString(v.sourcePath, "vhds.sourcePath"),
          DestinationFilePath: requireString(v.destinationPath, "vhds.destinationPath"),
        }));
      }
      return parseJob(await call("move-storage", params));
    },

    async getJob(jobId: string): Promise<JobStatus> {
      const jobs = parseJobs(await call("get-jobs", { JobId: requireString(jobId, "jobId") }));
      const job = jobs[0];
      if (!job) throw new HyperVError("JOB_NOT_FOUND", `No migration job has the id ${jobId}.`);
      return job;
    },

    async listJobs(): Promise<JobStatus[]> {
      return parseJobs(await call("get-jobs", { JobId: null }));
    },

    async cancelJob(jobId: string): Promise<void> {
      await call("cancel-job", { JobId: requireString(jobId, "jobId") });
    },

    async readEvents(afterRecordId: number | null, max: number): Promise<HostEvent[]> {
      if (afterRecordId !== null && (!Number.isInteger(afterRecordId) || afterRecordId < 0)) {
        throw invalid("afterRecordId must be a whole number or null.");
      }
      if (!Number.isInteger(max) || max < 0) throw invalid("max must be a whole number.");
      if (max === 0) return [];
      return parseEvents(await call("read-events", { AfterRecordId: afterRecordId, MaxEvents: max }));
    },

    close(): Promise<void> {
      return session.close();
    },
  };
}
