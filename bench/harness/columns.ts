/** The VM columns an agent reports (and the benchmarks write and read), vmId first. */
export const VM_COLUMNS = [
  "vmId",
  "name",
  "state",
  "status",
  "cpuUsage",
  "memoryAssignedBytes",
  "memoryStartupBytes",
  "uptimeSeconds",
  "generation",
  "configurationVersion",
  "processorCompatibilityForMigration",
  "path",
  "switchNames",
] as const;
