// Indexes over a SimState for one operation (file-backed) or the world's lifetime (in memory).
import type { Vm } from "../types.ts";
import type { VolumeDefinition } from "../world.ts";
import { volumeOf } from "./paths.ts";
import { holdsMemory, type JobRecord, type SimHost, type SimState } from "./state.ts";

/** What Hyper-V keeps back for the management OS (the root partition). */
export const HOST_RESERVE_BYTES = 2n * 1024n ** 3n;

export class WorldModel {
  /** Set by every mutation: the file-backed world writes the state back only then. */
  dirty = false;
  private readonly hostsByKey = new Map<string, SimHost>();
  private readonly vmHost = new Map<string, SimHost>();
  /** Jobs that have not ended yet (or ended but were not settled). */
  pending: JobRecord[];

  constructor(readonly state: SimState) {
    for (const h of state.hosts) {
      this.hostsByKey.set(h.facts.name.toLowerCase(), h);
      for (const vm of h.vms) this.vmHost.set(vm.vmId.toLowerCase(), h);
    }
    // A FQDN resolves too, unless it collides with a host name.
    for (const h of state.hosts) {
      const fqdn = h.facts.fqdn?.toLowerCase();
      if (fqdn && !this.hostsByKey.has(fqdn)) this.hostsByKey.set(fqdn, h);
    }
    this.pending = state.jobs.filter((j) => j.result === null);
  }

  /** Host by name or FQDN, case-insensitive (as Windows resolves names). */
  host(name: string): SimHost | undefined {
    return this.hostsByKey.get(name.toLowerCase());
  }

  locateVm(vmId: string): { host: SimHost; vm: Vm } | undefined {
    const host = this.vmHost.get(vmId.toLowerCase());
    const vm = host?.vms.find((v) => v.vmId.toLowerCase() === vmId.toLowerCase());
    return host && vm ? { host, vm } : undefined;
  }

  /** Moves a VM record between hosts, keeping the index right. */
  transferVm(vm: Vm, from: SimHost, to: SimHost): void {
    from.vms = from.vms.filter((v) => v !== vm);
    to.vms.push(vm);
    this.vmHost.set(vm.vmId.toLowerCase(), to);
    this.dirty = true;
  }

  volumesOf(host: SimHost): VolumeDefinition[] {
    return [...host.volumes, ...this.state.sharedVolumes];
  }

  /** The volume holding `path` as seen from `host` (its local volumes, then shared ones). */
  volumeAt(host: SimHost, path: string): VolumeDefinition | null {
    return volumeOf(path, this.volumesOf(host));
  }

  /** Whether files at `path`, now on `owner`'s storage, can be opened from `viewer`. */
  reachableFrom(path: string, owner: SimHost, viewer: SimHost): boolean {
    if (owner === viewer) return this.volumeAt(owner, path) !== null;
    return volumeOf(path, this.state.sharedVolumes) !== null;
  }

  activeJobsOf(hostName: string): JobRecord[] {
    return this.pending.filter((j) => j.source === hostName || j.destination === hostName);
  }

  activeJobForVm(vmId: string): JobRecord | undefined {
    const id = vmId.toLowerCase();
    return this.pending.find((j) => j.vmId.toLowerCase() === id);
  }

  /** Capacity minus the host reserve, running VMs' memory and memory reserved by incoming moves. */
  memoryAvailable(host: SimHost): bigint {
    let used = HOST_RESERVE_BYTES;
    for (const vm of host.vms) {
      if (holdsMemory(vm.state))
        used += vm.memoryAssignedBytes > 0n ? vm.memoryAssignedBytes : vm.memoryStartupBytes;
    }
    for (const j of this.pending) {
      if (j.destination === host.facts.name && j.source !== j.destination)
        used += BigInt(j.reservedMemoryBytes);
    }
    const free = host.facts.memoryCapacityBytes - used;
    return free > 0n ? free : 0n;
  }
}
