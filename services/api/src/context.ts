import type { GraphQLError, GraphQLResolveInfo } from "graphql";
import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import type { AgentCommand } from "./generated/prisma/client.ts";
import type { Hooks } from "./hooks.ts";
import type { Inflight } from "./inflight.ts";
import type { Logger } from "./logger.ts";
import type { PubSub } from "./pubsub.ts";

export type UserRole = "VIEWER" | "OPERATOR" | "ADMIN";

/** How a migration ended (migrations/machine.ts Ended). */
export interface MigrationEnd {
  kind: string;
  state: string;
  requestId: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  correctedFrom: string | null;
}

/** Who is calling, established from the bearer token before any resolver runs. */
export type Principal =
  | { kind: "user"; tokenId: string; name: string; role: UserRole }
  | { kind: "agent"; credentialId: string; hostId: string; hostName: string }
  | { kind: "enrollment"; enrollmentId: string; hostName: string };

/**
 * Events one domain raises and others react to (listeners are registered by app.ts, see hooks.ts).
 * Tuples are the listener's arguments.
 */
export type AppEvents = {
  /** An agent answered a command (first answer only). */
  commandCompleted: [app: App, command: AgentCommand];
  /**
   * Inventory reports were stored and answered: one batch of hosts (agents/inventory-reactions.ts), on
   * the answer path of none of them.
   */
  inventoryIngested: [app: App, batch: IngestBatch];
  /** A batch of inventoryIngested reactions ended; for metrics. */
  inventoryReacted: [batch: { hosts: number; seconds: number }];
  /**
   * Readiness was recomputed for `hosts` hosts, `changed` of them with a new summary (a
   * HOST_READINESS_CHANGED event each); `sweep`: the sweep of every host, else a reaction. For metrics.
   */
  readinessChecked: [check: { hosts: number; changed: number; seconds: number; sweep: boolean }];
  /**
   * A migration ended (its terminal state is committed); for metrics. `end.correctedFrom` is set when
   * it had ended before (a provisional end corrected by the real outcome).
   */
  migrationEnded: [app: App, migrationId: string, end: MigrationEnd];
  /** An audit entry could not be written (retried, or the change rolled back); for metrics. */
  auditWriteFailed: [];
  /** A host's agent connected or disconnected (committed). */
  agentPresenceChanged: [app: App, hostId: string];
  /** A move ended or was queued: the scheduler should run a pass soon. */
  slotFreed: [];
  /** The scheduler finished one round (one transaction) of a pass on this replica; for metrics. */
  schedulerRound: [round: SchedulerRound];
  /** scope-auth refused a mutation field (audited by the audit module). */
  mutationDenied: [ctx: Context, info: GraphQLResolveInfo, error: GraphQLError];
};

/** Hosts whose inventory reports (or agents' presence) other domains react to, together. */
export interface IngestBatch {
  /** Hosts that reported (changed or not) or whose agent connected or left; null: every host (start-up). */
  hostIds: string[] | null;
  /**
   * Those whose report changed more than telemetry (agents/inventory.ts IngestResult.significant) or
   * whose agent connected or left: their readiness may have changed.
   */
  significant: string[];
}

/** What one round of a scheduling pass did (modules/migrations/scheduler.ts). */
export interface SchedulerRound {
  /** Counts this replica's passes; the rounds of one pass share it. */
  pass: number;
  /** 1, 2, ... within the pass. */
  round: number;
  /** Moves started (STARTING, START_MOVE sent). */
  started: number;
  /** Moves that failed their start checks (FAILED, nothing sent to Hyper-V). */
  refused: number;
  /** More moves could start than one round may start: another round follows at once. */
  capped: boolean;
  seconds: number;
}

/** A principal as authenticated, and when its secret expires (null: never). */
export interface CachedSession {
  principal: Principal;
  expiresAt: Date | null;
}

/** HTTP requests' principals by secret hash (modules/auth/principal-cache.ts). */
export interface PrincipalCache {
  /** The session of a secret hash authenticated less than ttl ago, unexpired and not revoked since. */
  get(hash: string, now?: number): CachedSession | undefined;
  /**
   * Keeps a session read at `readAt`; refused when its principal was revoked since (a lookup that
   * raced the revocation), so a revoked secret is never served from here.
   */
  set(hash: string, key: string, session: CachedSession, readAt: number, now?: number): void;
  /** Drops every entry of this principal key (`token:<id>`, `agent:<credentialId>`). */
  drop(key: string): void;
  size(): number;
}

/** The open WebSockets of this replica, by principal key (`token:<id>`, `agent:<credentialId>`, ...). */
export interface SocketCloser {
  /** Closes every socket of `key` on this replica; returns how many. */
  close(key: string, reason: string): number;
  /**
   * A principal was revoked (committed): closes its sockets here at once and tells every other replica
   * through the pubsub (Redis with REDIS_URL), which close theirs on the message.
   */
  revoke(key: string, reason: string): void;
  /** HTTP requests' principals by secret hash, dropped when their key is revoked (here or on the message). */
  principals: PrincipalCache;
}

/** Long-lived services shared by every request, built once by app.ts (the composition root). */
export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  pubsub: PubSub;
  replicaId: string;
  /** Work shutdown waits for. */
  inflight: Inflight;
  hooks: Hooks<AppEvents>;
  sockets: SocketCloser;
}

export interface Context {
  app: App;
  principal: Principal | null;
  requestId: string;
}

export function principalName(p: Principal | null): string {
  if (!p) return "anonymous";
  if (p.kind === "user") return `token:${p.name}`;
  if (p.kind === "agent") return `agent:${p.hostName}`;
  return `enrollment:${p.hostName}`;
}
