// Where a world's state lives: in memory (one process) or in a JSON file shared by several agent
// processes. Every file operation runs under an exclusive lock: read, apply, write (atomic rename).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { HyperVError } from "../types.ts";
import { WorldModel } from "./model.ts";
import { type SimState, stateFromJson, stateToJson } from "./state.ts";

export interface Store {
  /** Runs `fn` on the current state; persists it when the model got dirty (even if `fn` threw). */
  run<T>(fn: (m: WorldModel) => T): T;
}

export class MemoryStore implements Store {
  private readonly model: WorldModel;
  constructor(state: SimState) {
    this.model = new WorldModel(state);
  }
  run<T>(fn: (m: WorldModel) => T): T {
    return fn(this.model);
  }
}

/** A lock older than this is taken to belong to a crashed process. */
export const STALE_LOCK_MS = 10_000;
const LOCK_TIMEOUT_MS = 30_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export class FileStore implements Store {
  private readonly lockDir: string;

  constructor(
    readonly path: string,
    create: () => SimState,
  ) {
    this.lockDir = `${path}.lock`;
    this.withLock(() => {
      if (!existsSync(path)) this.write(create());
    });
  }

  run<T>(fn: (m: WorldModel) => T): T {
    return this.withLock(() => {
      const model = new WorldModel(stateFromJson(readFileSync(this.path, "utf8")));
      try {
        return fn(model);
      } finally {
        if (model.dirty) this.write(model.state);
      }
    });
  }

  private write(state: SimState): void {
    const tmp = `${this.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, stateToJson(state));
    renameSync(tmp, this.path);
  }

  private withLock<T>(fn: () => T): T {
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    let delay = 1;
    for (;;) {
      try {
        mkdirSync(this.lockDir);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      }
      this.breakStaleLock();
      if (Date.now() > deadline) {
        throw new HyperVError(
          "BACKEND_UNAVAILABLE",
          `Timed out waiting for the simulator world lock ${this.lockDir}.`,
        );
      }
      sleepMs(delay);
      delay = Math.min(20, delay * 2);
    }
    try {
      return fn();
    } finally {
      rmSync(this.lockDir, { recursive: true, force: true });
    }
  }

  /** Renames a stale lock away first, so only one waiter removes it. */
  private breakStaleLock(): void {
    try {
      if (Date.now() - statSync(this.lockDir).mtimeMs < STALE_LOCK_MS) return;
      const aside = `${this.lockDir}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
      renameSync(this.lockDir, aside);
      rmSync(aside, { recursive: true, force: true });
    } catch {
      // Another process released or broke it first.
    }
  }
}
