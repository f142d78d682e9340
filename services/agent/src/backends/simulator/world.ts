// SimWorld: many simulated Hyper-V hosts sharing one state (VMs move between them), in memory or
// in a file shared by several agent processes.
import type { HyperVBackend, HyperVErrorCode } from "../types.ts";
import type { WorldDefinition } from "../world.ts";
import { SimulatorBackend, type WorldAccess } from "./backend.ts";
import { FAILURES } from "./failures.ts";
import { settle } from "./jobs.ts";
import type { WorldModel } from "./model.ts";
import { definitionFromState, type FaultCode, stateFromDefinition } from "./state.ts";
import { FileStore, MemoryStore, type Store } from "./store.ts";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

const systemClock: Clock = { now: () => Date.now() };

export class SimWorld implements WorldAccess {
  private constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  static create(def: WorldDefinition, opts?: { clock?: Clock }): SimWorld {
    const clock = opts?.clock ?? systemClock;
    return new SimWorld(new MemoryStore(stateFromDefinition(def, clock.now())), clock);
  }

  /** Creates the file from `def` when absent, otherwise loads it (`def` is then ignored). */
  static openFile(path: string, def?: WorldDefinition, opts?: { clock?: Clock }): SimWorld {
    const clock = opts?.clock ?? systemClock;
    const store = new FileStore(path, () => {
      if (!def) throw new Error(`Simulator world file ${path} does not exist and no definition was given.`);
      return stateFromDefinition(def, clock.now());
    });
    return new SimWorld(store, clock);
  }

  /** Runs an operation on the world with every job that ended by now settled first. */
  run<T>(fn: (m: WorldModel, now: number) => T): T {
    const now = this.clock.now();
    return this.store.run((m) => {
      settle(m, now);
      return fn(m, now);
    });
  }

  backend(hostName: string): HyperVBackend {
    const name = this.run((m) => m.host(hostName)?.facts.name);
    if (name === undefined) throw new Error(`Host '${hostName}' is not in the simulated world.`);
    return new SimulatorBackend(this, name);
  }

  hostNames(): string[] {
    return this.run((m) => m.state.hosts.map((h) => h.facts.name));
  }

  /**
   * The next move of this VM (by name) fails with `code` at the code's typical point;
   * SHUTDOWN_UNAVAILABLE: its guest does not answer the next Stop-VM (power.ts).
   */
  injectFault(vmName: string, code: FaultCode): void {
    if (code !== "LONG_BLACKOUT" && !(code in FAILURES))
      throw new Error(`Unknown fault code '${String(code)}'.`);
    this.run((m) => {
      m.state.faults = m.state.faults.filter((f) => f.vmName !== vmName);
      m.state.faults.push({ vmName, code });
      m.dirty = true;
    });
  }

  /** The current state as a definition (VMs where they are now, uptime as of now). */
  definition(): WorldDefinition {
    return this.run((m, now) => definitionFromState(m.state, now));
  }
}

export function createSimulatorBackend(world: SimWorld, hostName: string): HyperVBackend {
  return world.backend(hostName);
}

export type { FaultCode, HyperVErrorCode };
