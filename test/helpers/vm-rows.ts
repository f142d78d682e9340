// VM rows that exercise every column's edge cases (repeated names, quotes and non-ASCII, nulls, empty and
// non-empty arrays, bigints past 2^53), for tests that page or serialize VMs.

/** `count` VM rows on `hostId`; every fourth is named "same name" (pages must order ties by id). */
export function edgeCaseVmRows(hostId: string, count: number, nameSuffix = "") {
  return Array.from({ length: count }, (_, i) => ({
    vmId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    hostId,
    name: i % 4 === 0 ? "same name" : `vm-${String(i).padStart(2, "0")} "quoted" ünïcode${nameSuffix}`,
    state: i % 3 === 0 ? ("OFF" as const) : ("RUNNING" as const),
    status: i % 5 === 0 ? null : "Operating normally",
    cpuUsage: i,
    memoryAssignedBytes: BigInt(i) * 2n ** 33n,
    memoryStartupBytes: 2n ** 62n + BigInt(i),
    uptimeSeconds: i * 100,
    generation: 1 + (i % 2),
    configurationVersion: "10.0",
    processorCompatibilityForMigration: i % 2 === 0,
    isClustered: i === 7,
    path: `C:\\VMs\\vm-${i}`,
    switchNames: i % 6 === 0 ? [] : ["External", `sw-${i}`],
  }));
}
