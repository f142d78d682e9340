// Configuration is parsed once at boot; nothing else reads process.env (docs/style.md 11).
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

function readable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.R_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const boolish = z
  .enum(["true", "false", "1", "0", "yes", "no", "on", "off"], { message: "must be true or false" })
  .transform((v) => ["true", "1", "yes", "on"].includes(v));

const schema = z.object({
  PORT: port.default(4000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  ),
  REDIS_URL: optionalString.pipe(
    z
      .string()
      .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
      .optional(),
  ),
  FERRY_DATA_DIR: z.string().default("./.ferry"),
  FERRY_ADMIN_TOKEN: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
  FERRY_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  FERRY_REPLICA_ID: optionalString,
  FERRY_DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).optional(),
  FERRY_AGENT_LOST_AFTER_SECONDS: z.coerce.number().int().min(5).default(300),
  FERRY_JOB_QUIET_AFTER_SECONDS: z.coerce.number().int().min(2).default(120),
  FERRY_SCHEDULER_STARTS_PER_ROUND: z.coerce.number().int().min(1).max(1000).default(50),
  FERRY_INVENTORY_REACTION_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(100),
  FERRY_READINESS_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  FERRY_TLS_CERT: optionalString.pipe(z.string().refine(readable, "file not readable").optional()),
  FERRY_TLS_KEY: optionalString.pipe(z.string().refine(readable, "file not readable").optional()),
  FERRY_INTROSPECTION: boolish.default(true),
  FERRY_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(15),
  FERRY_MAX_COST: z.coerce.number().int().min(10).default(200_000),
  FERRY_MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  FERRY_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  FERRY_MAX_TOKENS: z.coerce.number().int().min(100).default(5000),
  FERRY_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(50),
  FERRY_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200),
  FERRY_HEAVY_QUERY_CONCURRENCY: z.coerce.number().int().min(0).max(1000).optional(),
  FERRY_HEAVY_QUERY_COST: z.coerce.number().int().min(1).default(1000),
  FERRY_HEAVY_QUERY_SHARE: boolish.default(true),
  FERRY_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  FERRY_DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  FERRY_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).default(2_000),
  FERRY_REDIS_NAMESPACE: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, '.', '_' or '-' (at most 64)")
      .optional(),
  ),
  FERRY_READINESS_TIMEOUT_MS: z.coerce.number().int().min(100).default(2_000),
  FERRY_WS_PING_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  FERRY_SOCKET_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  // Retention (modules/retention): days to keep each kind of row; 0 keeps them forever.
  FERRY_RETENTION_COMMAND_DAYS: z.coerce.number().int().min(0).default(30),
  FERRY_RETENTION_PROGRESS_DAYS: z.coerce.number().int().min(0).default(90),
  FERRY_RETENTION_EVENT_DAYS: z.coerce.number().int().min(0).default(90),
  FERRY_RETENTION_AUDIT_DAYS: z.coerce.number().int().min(0).default(400),
  FERRY_RETENTION_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  FERRY_RETENTION_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1000),
  // Webhooks (modules/webhooks) and metrics (modules/metrics).
  FERRY_WEBHOOK_ALLOW_PRIVATE: boolish.default(false),
  FERRY_WEBHOOK_KEY: optionalString.pipe(z.string().min(32, "must be at least 32 characters").optional()),
  FERRY_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  FERRY_WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(8),
  FERRY_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(10_000),
  FERRY_WEBHOOK_RETRY_FOR_SECONDS: z.coerce.number().int().min(1).default(86_400),
  FERRY_WEBHOOK_POLL_MS: z.coerce.number().int().min(20).max(60_000).default(1000),
  FERRY_METRICS_LISTEN: optionalString.pipe(
    z
      .string()
      .regex(/^[^:\s]*:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, "must be host:port, e.g. 127.0.0.1:9464")
      .optional(),
  ),
});

export interface Config {
  port: number;
  host: string;
  database: { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };
  redisUrl: string | undefined;
  /** Redis for cross-replica pub/sub; null runs in-process. */
  /** Redis for cross-replica hints; `namespace` prefixes every channel (FERRY_REDIS_NAMESPACE). */
  redis: { url: string; commandTimeoutMs: number; namespace: string } | null;
  adminToken: string | undefined;
  logLevel: z.infer<typeof schema>["FERRY_LOG_LEVEL"];
  replicaId: string;
  dbPoolSize: number | undefined;
  /** Bounds on every database connection: connecting, and each statement (a stuck query fails, it does not hang). */
  dbTimeouts: { connectMs: number; statementMs: number };
  /** How long /readyz waits for the database and Redis before answering 503. */
  readinessTimeoutMs: number;
  /** WebSocket keepalive: a ping every interval; a socket that did not answer the previous one is dropped. */
  wsPingIntervalMs: number;
  /**
   * Backstop for revocations a replica did not hear (principalRevoked lost, a token revoked by hand in
   * the database) and tokens that expired on idle sockets: the socket registry's database check interval.
   */
  socketSweepMs: number;
  agentLostAfterSeconds: number;
  /** A running move without a job report this long, agent connected: ask the agent (JOB_STATUS). */
  jobQuietAfterSeconds: number;
  /**
   * Moves the scheduler starts per transaction; a pass over a longer due queue runs more rounds at once
   * (no transaction outgrows its time limit nor holds the scheduler's lock long).
   */
  schedulerStartsPerRound: number;
  /**
   * How long the hosts of inventory reports are gathered before their reactions (drift, readiness) run
   * as one batch, after the reports were answered (agents/inventory-reactions.ts).
   */
  inventoryReactionDelayMs: number;
  /**
   * The pause between two sweeps of every host's readiness (signals/readiness.ts); longer on a fleet whose
   * sweep takes long (a sweep takes at most a tenth of the time).
   */
  readinessSweepSeconds: number;
  retention: RetentionSettings;
  /** Certificate and key (PEM files) for https/wss; null serves plain http/ws (behind a TLS proxy). */
  tls: { certFile: string; keyFile: string } | null;
  security: SecurityConfig;
  webhooks: WebhookSettings;
  /** host:port of a separate, unauthenticated listener for GET /metrics; null serves /metrics on the API port only (Bearer). */
  metricsListen: { host: string; port: number } | null;
}

/** Webhook delivery (modules/webhooks). */
export interface WebhookSettings {
  /** Allow private, loopback and link-local targets (tests, labs); refused by default. */
  allowPrivate: boolean;
  /** Key material for the signing secrets at rest; null: a key file in the data folder (embedded only). */
  key: string | null;
  /** Per request: connect, send and answer within this. */
  timeoutMs: number;
  /** Webhooks sent to at once by this replica (one request at a time per webhook). */
  concurrency: number;
  /** First retry after this; doubles per attempt (capped at 1 h). */
  retryBaseMs: number;
  /** A delivery not accepted this long after its event is FAILED (24 h). */
  retryForMs: number;
  /** How often the worker looks for due deliveries. */
  pollMs: number;
}

/** Limits of the hardened GraphQL endpoint (services/api/src/security). */
export interface SecurityConfig {
  introspection: boolean;
  maxDepth: number;
  maxCost: number;
  maxPageSize: number;
  maxBodyBytes: number;
  maxTokens: number;
  /** Token-bucket refill per token (requests per second); 0 disables rate limiting. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /**
   * Queries of an estimated cost from `minCost` execute at most `concurrency` at a time (0: no limit);
   * default 1 on the embedded database, none on PostgreSQL (security/read-gate.ts). `share`: identical
   * heavy queries of one principal waiting for a turn execute once.
   */
  readGate: { concurrency: number; minCost: number; share: boolean };
}

/** How long old rows are kept (modules/retention). A days value of 0 keeps that kind forever. */
export interface RetentionSettings {
  /** Answered or expired agent commands (never PENDING/DELIVERED ones, never those of an active migration). */
  commandDays: number;
  /** Progress samples (the timeline) of migrations that ended at least this long ago. */
  progressDays: number;
  /** Hyper-V host events (never those of an active migration). */
  eventDays: number;
  /** Audit entries. */
  auditDays: number;
  /** Pause between two retention passes. */
  intervalMs: number;
  /** Rows deleted per statement (a pass deletes in batches of this size). */
  batchSize: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function hostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  const host = value.slice(0, at).replace(/^\[|\]$/g, "");
  return { host: host || "0.0.0.0", port: Number(value.slice(at + 1)) };
}

/** Parses the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if (Boolean(e.FERRY_TLS_CERT) !== Boolean(e.FERRY_TLS_KEY)) {
    throw new ConfigError(
      "Invalid configuration:\n  FERRY_TLS_CERT, FERRY_TLS_KEY: set both (https/wss) or neither (plain http)",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.resolve(e.FERRY_DATA_DIR) },
    redisUrl: e.REDIS_URL,
    redis: e.REDIS_URL
      ? {
          url: e.REDIS_URL,
          commandTimeoutMs: e.FERRY_REDIS_COMMAND_TIMEOUT_MS,
          namespace:
            e.FERRY_REDIS_NAMESPACE ?? redisNamespaceFor(e.DATABASE_URL ?? path.resolve(e.FERRY_DATA_DIR)),
        }
      : null,
    adminToken: e.FERRY_ADMIN_TOKEN,
    logLevel: e.FERRY_LOG_LEVEL,
    replicaId: e.FERRY_REPLICA_ID ?? `replica-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    dbPoolSize: e.FERRY_DB_POOL_SIZE,
    dbTimeouts: { connectMs: e.FERRY_DB_CONNECT_TIMEOUT_MS, statementMs: e.FERRY_DB_STATEMENT_TIMEOUT_MS },
    readinessTimeoutMs: e.FERRY_READINESS_TIMEOUT_MS,
    wsPingIntervalMs: e.FERRY_WS_PING_SECONDS * 1000,
    socketSweepMs: e.FERRY_SOCKET_SWEEP_SECONDS * 1000,
    agentLostAfterSeconds: e.FERRY_AGENT_LOST_AFTER_SECONDS,
    jobQuietAfterSeconds: e.FERRY_JOB_QUIET_AFTER_SECONDS,
    schedulerStartsPerRound: e.FERRY_SCHEDULER_STARTS_PER_ROUND,
    inventoryReactionDelayMs: e.FERRY_INVENTORY_REACTION_DELAY_MS,
    readinessSweepSeconds: e.FERRY_READINESS_SWEEP_SECONDS,
    retention: {
      commandDays: e.FERRY_RETENTION_COMMAND_DAYS,
      progressDays: e.FERRY_RETENTION_PROGRESS_DAYS,
      eventDays: e.FERRY_RETENTION_EVENT_DAYS,
      auditDays: e.FERRY_RETENTION_AUDIT_DAYS,
      intervalMs: e.FERRY_RETENTION_INTERVAL_SECONDS * 1000,
      batchSize: e.FERRY_RETENTION_BATCH_SIZE,
    },
    tls:
      e.FERRY_TLS_CERT && e.FERRY_TLS_KEY ? { certFile: e.FERRY_TLS_CERT, keyFile: e.FERRY_TLS_KEY } : null,
    webhooks: {
      allowPrivate: e.FERRY_WEBHOOK_ALLOW_PRIVATE,
      key: e.FERRY_WEBHOOK_KEY ?? null,
      timeoutMs: e.FERRY_WEBHOOK_TIMEOUT_MS,
      concurrency: e.FERRY_WEBHOOK_CONCURRENCY,
      retryBaseMs: e.FERRY_WEBHOOK_RETRY_BASE_MS,
      retryForMs: e.FERRY_WEBHOOK_RETRY_FOR_SECONDS * 1000,
      pollMs: e.FERRY_WEBHOOK_POLL_MS,
    },
    metricsListen: e.FERRY_METRICS_LISTEN ? hostPort(e.FERRY_METRICS_LISTEN) : null,
    security: {
      introspection: e.FERRY_INTROSPECTION,
      maxDepth: e.FERRY_MAX_DEPTH,
      maxCost: e.FERRY_MAX_COST,
      maxPageSize: e.FERRY_MAX_PAGE_SIZE,
      maxBodyBytes: e.FERRY_MAX_BODY_BYTES,
      maxTokens: e.FERRY_MAX_TOKENS,
      rateLimitPerSecond: e.FERRY_RATE_LIMIT_PER_SECOND,
      rateLimitBurst: e.FERRY_RATE_LIMIT_BURST,
      readGate: {
        concurrency: e.FERRY_HEAVY_QUERY_CONCURRENCY ?? (e.DATABASE_URL ? 0 : 1),
        minCost: e.FERRY_HEAVY_QUERY_COST,
        share: e.FERRY_HEAVY_QUERY_SHARE,
      },
    },
  };
}

const demoSchema = z.object({
  FERRY_DEMO_HOSTS: z.coerce.number().int().min(1).max(500).default(4),
  FERRY_DEMO_SEED: z.coerce.number().int().min(0).default(1),
  FERRY_DEMO_TIME_SCALE: z.coerce.number().positive().max(10_000).default(1),
});

export interface DemoConfig {
  hosts: number;
  seed: number;
  timeScale: number;
}

/** The demo's own variables (`npm start`); throws ConfigError listing every bad one. */
export function loadDemoConfig(env: Record<string, string | undefined> = process.env): DemoConfig {
  const parsed = demoSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return {
    hosts: parsed.data.FERRY_DEMO_HOSTS,
    seed: parsed.data.FERRY_DEMO_SEED,
    timeScale: parsed.data.FERRY_DEMO_TIME_SCALE,
  };
}

/**
 * The default Redis channel namespace: derived from the database, so replicas that share a database
 * share their hints and two deployments (or test runs) that share one Redis never hear each other's
 * (a hint names rows of its own database only). Credentials are not part of the identity.
 */
export function redisNamespaceFor(database: string): string {
  let identity = database;
  if (/^postgres(ql)?:\/\//.test(database)) {
    const u = new URL(database);
    identity = `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  }
  return `ferry-${createHash("sha256").update(identity).digest("hex").slice(0, 12)}`;
}
