// API tokens (create, revoke, list) and revocation of agent credentials. Revoking closes the
// holder's WebSockets at once on every replica (the pubsub's principalRevoked; sockets.ts).
import type { App } from "../../context.ts";
import type { Prisma, Role } from "../../generated/prisma/client.ts";
import { type AuditIn, withAudit } from "../audit/service.ts";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { hashSecret, newSecret } from "./secrets.ts";

export const CLIENT_ROLES = ["VIEWER", "OPERATOR", "ADMIN"] as const;
export type ClientRole = (typeof CLIENT_ROLES)[number];

export interface CreateApiTokenInput {
  name: string;
  role: Role;
  expiresAt?: Date | null;
  expiresInSeconds?: number | null;
}

const NAME = /^[\w.@:-]{1,64}$/;
const MAX_TTL_SECONDS = 5 * 365 * 24 * 3600;

/**
 * Creates a token; the secret is returned once and only its hash is stored. `db` is the transaction
 * that also writes the call's audit entry (audit/service.ts auditedTransaction).
 */
export async function createApiToken(
  app: App,
  createdBy: string,
  input: CreateApiTokenInput,
  db: Prisma.TransactionClient = app.db.prisma,
) {
  if (!NAME.test(input.name)) {
    throw new ValidationError("input.name", "1-64 letters, digits, or . _ @ : -");
  }
  if (!(CLIENT_ROLES as readonly string[]).includes(input.role)) {
    throw new ValidationError(
      "input.role",
      "AGENT credentials come from enrollments; use VIEWER, OPERATOR or ADMIN",
    );
  }
  if (input.expiresAt && input.expiresInSeconds != null) {
    throw new ValidationError("input.expiresInSeconds", "give expiresAt or expiresInSeconds, not both");
  }
  let expiresAt: Date | null = input.expiresAt ?? null;
  if (input.expiresInSeconds != null) {
    if (!Number.isInteger(input.expiresInSeconds) || input.expiresInSeconds < 60) {
      throw new ValidationError("input.expiresInSeconds", "must be at least 60 seconds");
    }
    expiresAt = new Date(Date.now() + Math.min(input.expiresInSeconds, MAX_TTL_SECONDS) * 1000);
  }
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new ValidationError("input.expiresAt", "must be in the future");
  }
  const secret = newSecret("api");
  const token = await db.apiToken.create({
    data: { name: input.name, role: input.role, secretHash: hashSecret(secret), createdBy, expiresAt },
  });
  return { token, secret };
}

/**
 * Revokes a token (idempotent for the caller: an already revoked token is a ConflictError), in one
 * transaction with the call's audit entry; its sockets close after the commit.
 */
export async function revokeApiToken(app: App, id: string, audit?: AuditIn) {
  const revoked = await withAudit(app.db.prisma, audit, async (tx) => {
    const token = await tx.apiToken.findUnique({ where: { id } });
    if (!token || token.role === "AGENT") throw new NotFoundError("API token", id);
    if (token.revokedAt) throw new ConflictError(`token ${token.name} is already revoked`);
    // Guarded: of two concurrent revocations one wins, the other is a ConflictError.
    const { count } = await tx.apiToken.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (count !== 1) throw new ConflictError(`token ${token.name} is already revoked`);
    return tx.apiToken.findUniqueOrThrow({ where: { id } });
  });
  app.sockets.revoke(`token:${id}`, "token revoked");
  return revoked;
}

/** Revokes every active credential of a host's agent (with the call's audit entry) and disconnects it. */
export async function revokeAgentCredentials(app: App, hostId: string, audit?: AuditIn) {
  const { host, active } = await withAudit(app.db.prisma, audit, async (tx) => {
    const host = await tx.host.findUnique({ where: { id: hostId } });
    if (!host) throw new NotFoundError("host", hostId);
    const active = await tx.agentCredential.findMany({ where: { hostId, revokedAt: null } });
    if (active.length === 0) throw new ConflictError(`host ${host.name} has no active agent credential`);
    await tx.agentCredential.updateMany({
      where: { id: { in: active.map((c) => c.id) } },
      data: { revokedAt: new Date() },
    });
    return { host, active };
  });
  for (const c of active) app.sockets.revoke(`agent:${c.id}`, "agent credential revoked");
  app.pubsub.publish("agentDisconnect", hostId, { reason: "credential revoked" });
  return { host, revokedCount: active.length };
}
