// `@ferry/agent/testing`: agent internals that tests and benchmarks drive directly (the Hyper-V backend interface,
// the PowerShell backend's pieces, the link, the inventory reporter, doctor checks). This is the test/bench surface:
// it is not an API for other services (they share code only through @ferry/protocol and @ferry/hyperv). Add here only
// what tests or benchmarks need.
export { createAgent } from "../agent.ts";
export { createPowerShellBackend, DEFAULT_SCRIPTS_DIR } from "../backends/powershell/index.ts";
export { parseEnvelope } from "../backends/powershell/parse.ts";
export { buildCommand, PowerShellSession } from "../backends/powershell/session.ts";
export {
  type HardDrive,
  type HostEvent,
  type HyperVBackend,
  HyperVError,
  type HyperVErrorCode,
  type Inventory,
  type JobStatus,
  type Vm,
} from "../backends/types.ts";
export { DEFAULT_INVENTORY_INTERVAL_S } from "../config/load.ts";
export {
  checkAdmin,
  checkApi,
  checkClock,
  checkHyperVModule,
  checkNode,
  checkPowerShell,
  checkStateDir,
  checkVmms,
  formatResults,
  type PowerShellFacts,
} from "../doctor/checks.ts";
export { createInventoryReporter } from "../inventory/reporter.ts";
export { enroll } from "../link/enroll.ts";
export { accepted, type Link, openLink } from "../link/link.ts";
