// A fleet shaped for maintenance tests: SRC holds 14 VMs (12 that can move: shared storage, one Off,
// one on host-local storage; two that cannot: one on a switch no other host has, one clustered);
// D1-D3 have room for them only together (each takes at most ~28 GiB after its reserve, the drain
// needs ~39 GiB); D4 is empty and the roomiest, and is put in maintenance first.
import type { WorldDefinition } from "@ferry/agent/simulator";
import { GiB, testHost, testVm } from "../helpers/sim-world.ts";

const id = (n: number) => `eeeeeeee-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** Memory (GiB) of SRC's shared-storage running VMs, by name. */
export const SHARED_VMS: Record<string, number> = {
  "db-01": 8,
  "app-01": 6,
  "app-02": 6,
  "web-01": 4,
  "web-02": 4,
  "web-03": 4,
  "mq-01": 2,
  "mq-02": 2,
  "cache-01": 2,
  "mon-01": 1,
};
export const MOVABLE = [...Object.keys(SHARED_VMS), "off-01", "local-01"];
export const UNMOVABLE = { "isolated-01": "SWITCH_NOT_FOUND", "clustered-01": "INVALID_VM_STATE" } as const;

export function maintenanceWorld(timeScale: number): WorldDefinition {
  const src = testHost("SRC", 11, {
    switches: [
      { name: "Production", switchType: "External" },
      { name: "Isolated", switchType: "Private" },
    ],
  });
  src.facts.memoryCapacityBytes = 128n * GiB;
  let n = 0;
  src.vms = Object.entries(SHARED_VMS).map(([name, gib]) =>
    testVm(name, id(++n), {
      memoryAssignedBytes: BigInt(gib) * GiB,
      memoryStartupBytes: BigInt(gib) * GiB,
      cpuUsage: 10,
    }),
  );
  src.vms.push(
    testVm("off-01", id(++n), {
      state: "OFF",
      memoryAssignedBytes: 0n,
      memoryStartupBytes: 4n * GiB,
      uptimeSeconds: 0,
    }),
    testVm("local-01", id(++n), {
      path: "D:\\VMs\\local-01",
      memoryAssignedBytes: 2n * GiB,
      memoryStartupBytes: 2n * GiB,
      hardDrives: [{ path: "D:\\VMs\\local-01\\Virtual Hard Disks\\local-01.vhdx", sizeBytes: 4n * GiB }],
    }),
    testVm("isolated-01", id(++n), { switchNames: ["Isolated"] }),
    testVm("clustered-01", id(++n), { isClustered: true }),
  );
  const dests = [1, 2, 3].map((k) => {
    const h = testHost(`D${k}`, 11 + k);
    h.facts.memoryCapacityBytes = 40n * GiB;
    h.vms = [1, 2].map((v) =>
      testVm(`d${k}-vm-${v}`, id(100 + 10 * k + v), {
        memoryAssignedBytes: 4n * GiB,
        memoryStartupBytes: 4n * GiB,
      }),
    );
    return h;
  });
  const d4 = testHost("D4", 15);
  d4.facts.memoryCapacityBytes = 256n * GiB;
  return {
    seed: 7,
    timeScale,
    hosts: [src, ...dests, d4],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 10_000n * GiB }],
    delegations: { SRC: [], D1: [], D2: [], D3: [], D4: [] },
  };
}
