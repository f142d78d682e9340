// Picks and builds a backend from the command line's choice.
import fs from "node:fs";
import { generateFleet, SimWorld } from "./simulator/index.ts";
import type { HyperVBackend } from "./types.ts";

export interface BackendChoice {
  backend: "simulator" | "powershell";
  /** powershell: extra module imported at session start (tests: the stub Hyper-V module). */
  psModule?: string;
  /** powershell: pwsh / powershell.exe to run. */
  pwsh?: string;
  /** simulator: world file shared by the agents of one simulated fleet (created if absent). */
  simWorld?: string;
  /** simulator: which host of the world this agent is. */
  simHost?: string;
  simSeed?: number;
  simHosts?: number;
  simTimeScale?: number;
}

export async function createBackend(choice: BackendChoice): Promise<HyperVBackend> {
  if (choice.backend === "powershell") {
    const { createPowerShellBackend } = await import("./powershell/index.ts");
    return createPowerShellBackend({ executable: choice.pwsh, psModulePath: choice.psModule });
  }
  if (!choice.simWorld) throw new Error("--sim-world <file> is required with --backend simulator");
  const definition = fs.existsSync(choice.simWorld)
    ? undefined
    : generateFleet({
        hosts: choice.simHosts ?? 4,
        seed: choice.simSeed ?? 1,
        timeScale: choice.simTimeScale ?? 1,
      });
  const world = SimWorld.openFile(choice.simWorld, definition);
  const host = choice.simHost ?? world.hostNames()[0];
  if (!host || !world.hostNames().includes(host)) {
    throw new Error(`--sim-host ${host}: not a host of ${choice.simWorld} (${world.hostNames().join(", ")})`);
  }
  return world.backend(host);
}
