// `@ferry/api/testing`: API internals that tests and benchmarks call directly (the database layer, the migration
// state machine, fault injection, pure helpers). This is the test/bench surface, not an API for other services; add
// here only what tests or benchmarks need. Starting the API is `@ferry/api/server`.
export type { App, SchedulerRound } from "../context.ts";
export { isWriteConflict, retryOnConflict } from "../db/conflicts.ts";
export { type Database, openDatabase } from "../db/database.ts";
export { migrate, readMigrations } from "../db/migrate.ts";
export { startEmbeddedPostgres } from "../db/pglite.ts";
export { csvCell } from "../export/csv.ts";
export { exportProbe } from "../export/routes.ts";
export { type Migration, Prisma } from "../generated/prisma/client.ts";
export { completeCommand, issueCommand } from "../modules/agents/commands.ts";
export { readStoredInventory, storeInventory } from "../modules/agents/inventory-sql.ts";
export { failNextAuditWrites, redact, TELEMETRY_OPERATIONS } from "../modules/audit/service.ts";
export { hashSecret } from "../modules/auth/secrets.ts";
export { recomputeDrift } from "../modules/configuration/drift.ts";
export { eventsForMigration, linkEventsToMigration } from "../modules/events/service.ts";
export { AGENT_LOST_FAIL_MS, maintenanceOnce } from "../modules/maintenance/worker.ts";
export { sweepLostAgents } from "../modules/migrations/lifecycle.ts";
export {
  claimStart,
  enqueue,
  failLost,
  inTransaction,
  recordJobUpdate,
  requestCancel,
  start,
} from "../modules/migrations/machine.ts";
export { DEFAULT_MEMORY_RESERVE_BYTES } from "../modules/placement/types.ts";
export { pruneOnce } from "../modules/retention/prune.ts";
export { checkReadiness, READ_CHUNK } from "../modules/signals/readiness.ts";
export { signedRequest } from "../modules/webhooks/deliver.ts";
export { MIGRATION_VIEW_FIELDS } from "../modules/webhooks/views.ts";
export { createAppPubSub, type PubSubHandle } from "../pubsub.ts";
export { createGraphQL } from "../transport/yoga.ts";
