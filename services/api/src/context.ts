import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import type { Inflight } from "./inflight.ts";
import type { Logger } from "./logger.ts";
import type { PubSub } from "./pubsub.ts";

export type UserRole = "VIEWER" | "OPERATOR" | "ADMIN";

/** Who is calling, established from the bearer token before any resolver runs. */
export type Principal =
  | { kind: "user"; tokenId: string; name: string; role: UserRole }
  | { kind: "agent"; credentialId: string; hostId: string; hostName: string }
  | { kind: "enrollment"; enrollmentId: string; hostName: string };

/** Long-lived services shared by every request. */
export interface App {
  config: Config;
  logger: Logger;
  db: Database;
  pubsub: PubSub;
  replicaId: string;
  /** Work shutdown waits for. */
  inflight: Inflight;
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
