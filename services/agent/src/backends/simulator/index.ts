// The Hyper-V simulator: demo mode, test double and load generator behind HyperVBackend.
export { SimulatorBackend } from "./backend.ts";
export { COMPARE_MESSAGE_IDS } from "./compare.ts";
export { EVENT_IDS, EVENT_LOG_LIMIT } from "./events.ts";
export { FAILURES, type FailurePoint } from "./failures.ts";
export { FLEET_DOMAIN, FLEET_SHARE, fleetHostName, generateFleet } from "./fleet.ts";
export { HOST_RESERVE_BYTES } from "./model.ts";
export { MIGRATION_RULE, SMB_RULE } from "./moves.ts";
export type { FaultCode } from "./state.ts";
export { STALE_LOCK_MS } from "./store.ts";
export {
  CONFIG_ONLY_SECONDS,
  DISK_BYTES_PER_SECOND,
  liveMoveTiming,
  migrationBytesPerSecond,
  SETUP_SECONDS,
  storageMoveSeconds,
} from "./timing.ts";
export { type Clock, createSimulatorBackend, SimWorld } from "./world.ts";
