// The simulated host behind the HyperVBackend interface: each call runs against the shared world.
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
import { compareVm } from "./compare.ts";
import { readEvents } from "./events.ts";
import * as settings from "./host-settings.ts";
import { jobStatus, requestCancel } from "./jobs.ts";
import type { WorldModel } from "./model.ts";
import { startMoveStorage, startMoveVm } from "./moves.ts";
import { saveVm, stopVm } from "./power.ts";
import { type SimHost, uptimeAt } from "./state.ts";

/** What a backend needs of its world: run an operation on settled state at the current clock time. */
export interface WorldAccess {
  run<T>(fn: (m: WorldModel, now: number) => T): T;
}

export class SimulatorBackend implements HyperVBackend {
  readonly kind = "simulator" as const;
  private closed = false;

  constructor(
    private readonly world: WorldAccess,
    readonly hostName: string,
  ) {}

  private on<T>(fn: (m: WorldModel, host: SimHost, now: number) => T): T {
    if (this.closed)
      throw new HyperVError("BACKEND_UNAVAILABLE", `The backend of host '${this.hostName}' is closed.`);
    return this.world.run((m, now) => {
      const host = m.host(this.hostName);
      if (!host) throw new HyperVError("BACKEND_UNAVAILABLE", `Host '${this.hostName}' is not in the world.`);
      return fn(m, host, now);
    });
  }

  async getInventory(): Promise<Inventory> {
    return this.on((m, h, now) => {
      const delegations =
        m.state.delegations[h.facts.name] ??
        Object.entries(m.state.delegations).find(
          ([k]) => k.toLowerCase() === h.facts.name.toLowerCase(),
        )?.[1] ??
        null;
      return structuredClone({
        host: { ...h.facts, memoryAvailableBytes: m.memoryAvailable(h), delegations },
        settings: h.settings,
        switches: h.switches,
        networkAdapters: h.networkAdapters,
        firewallRules: h.firewallRules,
        volumes: h.volumes.map((v) => ({ root: v.root, freeBytes: v.freeBytes })),
        vms: h.vms.map((vm) => ({
          ...vm,
          uptimeSeconds: uptimeAt(m.state, vm.uptimeSeconds, vm.state, now),
        })),
      });
    });
  }

  async enableMigration(): Promise<void> {
    this.on((m, h) => settings.setMigrationEnabled(m, h, true));
  }

  async disableMigration(): Promise<void> {
    this.on((m, h) => settings.setMigrationEnabled(m, h, false));
  }

  async addMigrationNetwork(network: MigrationNetwork): Promise<void> {
    this.on((m, h) => settings.addMigrationNetwork(m, h, network));
  }

  async setMigrationNetworkPriority(network: MigrationNetwork): Promise<void> {
    this.on((m, h) => settings.setMigrationNetworkPriority(m, h, network));
  }

  async removeMigrationNetwork(subnet: string): Promise<void> {
    this.on((m, h) => settings.removeMigrationNetwork(m, h, subnet));
  }

  async setHostSettings(change: HostSettingsChange): Promise<void> {
    this.on((m, h) => settings.setHostSettings(m, h, change));
  }

  async setProcessorCompatibility(vmId: string, enabled: boolean): Promise<void> {
    this.on((m, h) => settings.setProcessorCompatibility(m, h, vmId, enabled));
  }

  async saveVm(vmId: string): Promise<PowerChange> {
    return this.on((m, h) => saveVm(m, h, vmId));
  }

  async stopVm(vmId: string): Promise<PowerChange> {
    return this.on((m, h) => stopVm(m, h, vmId));
  }

  async compareVm(vmId: string, destinationHost: string): Promise<CompatibilityIssue[]> {
    return this.on((m, h) => compareVm(m, h, vmId, destinationHost));
  }

  async startMoveVm(request: MoveVmRequest): Promise<JobStatus> {
    return this.on((m, h, now) => startMoveVm(m, h, request, now));
  }

  async startMoveStorage(request: MoveStorageRequest): Promise<JobStatus> {
    return this.on((m, h, now) => startMoveStorage(m, h, request, now));
  }

  async getJob(jobId: string): Promise<JobStatus> {
    return this.on((m, h, now) => jobStatus(this.findJob(m, h, jobId), now));
  }

  async listJobs(): Promise<JobStatus[]> {
    return this.on((m, h, now) =>
      m.state.jobs.filter((j) => j.source === h.facts.name).map((j) => jobStatus(j, now)),
    );
  }

  async cancelJob(jobId: string): Promise<void> {
    this.on((m, h, now) => requestCancel(m, this.findJob(m, h, jobId), now));
  }

  async readEvents(afterRecordId: number | null, max: number): Promise<HostEvent[]> {
    return this.on((_m, h) => readEvents(h, afterRecordId, max));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Jobs belong to their source host, as Msvm_MigrationJob does to the host that started it. */
  private findJob(m: WorldModel, h: SimHost, jobId: string) {
    const id = typeof jobId === "string" ? jobId.toLowerCase() : "";
    const job = m.state.jobs.find((j) => j.source === h.facts.name && j.jobId.toLowerCase() === id);
    if (!job)
      throw new HyperVError(
        "JOB_NOT_FOUND",
        `The migration job '${String(jobId)}' was not found on host '${h.facts.name}'.`,
      );
    return job;
  }
}
