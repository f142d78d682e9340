// Authentication: turns a bearer secret into a Principal; bootstrap admin; enrollment of agents.
import type { App, Principal } from "../../context.ts";
import { hotStatement, preparesStatements } from "../../db/hot-statement.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { principalKey } from "./principal-cache.ts";
import { hashSecret, newSecret, sameHash, secretKind } from "./secrets.ts";

const LAST_USED_RESOLUTION_MS = 60_000;
const BOOTSTRAP_NAME = "bootstrap-admin";

/** Resolves a bearer secret; null when unknown, revoked or expired. Never throws for bad input. */
export async function authenticate(app: App, secret: string | null): Promise<Principal | null> {
  return (await authenticateSession(app, secret))?.principal ?? null;
}

/**
 * authenticate for HTTP requests, through the replica's principal cache (principal-cache.ts): a secret
 * seen in the last few seconds is not looked up again; revocations drop it at once.
 */
export async function authenticateCached(app: App, secret: string | null): Promise<Principal | null> {
  if (!secret || secret.length > 200) return null;
  if (secretKind(secret) === "enrollment") return authenticate(app, secret);
  const cache = app.sockets.principals;
  const hash = hashSecret(secret);
  const hit = cache.get(hash);
  if (hit) return hit.principal;
  const readAt = Date.now();
  const session = await authenticateSession(app, secret);
  if (session) cache.set(hash, principalKey(session.principal), session, readAt);
  return session?.principal ?? null;
}

interface AgentCredentialRow {
  id: string;
  hostId: string;
  secretHash: string;
  revoked: boolean;
  hostName: string;
}

/**
 * An agent credential by its secret's hash, with its host's name, and its lastUsedAt touched (a valid
 * credential only, at most once per LAST_USED_RESOLUTION_MS: $3 is now minus that): ONE statement on
 * Prisma's pool (issue 16, decision c). Through Prisma it was two (the read with its host, then the
 * update), and Prisma's query pipeline was most of what an agent's connect cost the API. The update
 * sees the read's snapshot, as the update after the read did.
 */
const AGENT_CREDENTIAL_SQL = `
  WITH c AS (
    SELECT c."id", c."hostId", c."secretHash", c."revokedAt" IS NOT NULL AS "revoked", c."lastUsedAt",
      h."name" AS "hostName"
    FROM "AgentCredential" c JOIN "Host" h ON h."id" = c."hostId"
    WHERE c."secretHash" = $1),
  touched AS (
    UPDATE "AgentCredential" a SET "lastUsedAt" = $2::timestamp(3)
    FROM c
    WHERE a."id" = c."id" AND NOT c."revoked"
      AND (c."lastUsedAt" IS NULL OR c."lastUsedAt" < $3::timestamp(3)))
  SELECT "id"::text AS "id", "hostId"::text AS "hostId", "secretHash", "revoked", "hostName" FROM c`;

/** A principal and when its secret expires (null: never), for callers that keep it (a WebSocket). */
export interface Session {
  principal: Principal;
  expiresAt: Date | null;
}

/** Like authenticate, with the secret's expiry. */
export async function authenticateSession(app: App, secret: string | null): Promise<Session | null> {
  if (!secret || secret.length > 200) return null;
  const hash = hashSecret(secret);
  const prisma = app.db.prisma;
  const now = new Date();
  const kind = secretKind(secret);
  if (kind === "agent") {
    const { rows } = await app.db.pool.query<AgentCredentialRow>(
      hotStatement(preparesStatements(app.db), "ferry_agent_credential", AGENT_CREDENTIAL_SQL, [
        hash,
        now.toISOString(),
        new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString(),
      ]),
    );
    const cred = rows[0];
    if (!cred || cred.revoked || !sameHash(cred.secretHash, hash)) return null;
    return {
      principal: { kind: "agent", credentialId: cred.id, hostId: cred.hostId, hostName: cred.hostName },
      expiresAt: null,
    };
  }
  if (kind === "enrollment") {
    const e = await prisma.agentEnrollment.findUnique({ where: { secretHash: hash } });
    if (!e || e.usedAt || e.expiresAt <= now || !sameHash(e.secretHash, hash)) return null;
    return {
      principal: { kind: "enrollment", enrollmentId: e.id, hostName: e.hostName },
      expiresAt: e.expiresAt,
    };
  }
  const token = await prisma.apiToken.findUnique({ where: { secretHash: hash } });
  if (
    !token ||
    token.revokedAt ||
    (token.expiresAt && token.expiresAt <= now) ||
    !sameHash(token.secretHash, hash)
  ) {
    return null;
  }
  if (token.role === "AGENT") return null;
  if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
  }
  return {
    principal: { kind: "user", tokenId: token.id, name: token.name, role: token.role },
    expiresAt: token.expiresAt,
  };
}

/**
 * Makes sure an admin token exists. With `token` (FERRY_ADMIN_TOKEN) that token is the bootstrap
 * admin; without it, one is generated the first time (or every time with `rotate`) and returned so
 * the caller can print it once. Returns null when an existing bootstrap token stays in force.
 */
export async function ensureBootstrapAdmin(
  app: App,
  options: { token?: string; rotate?: boolean },
): Promise<string | null> {
  const prisma = app.db.prisma;
  const active = await prisma.apiToken.findMany({ where: { name: BOOTSTRAP_NAME, revokedAt: null } });
  if (options.token) {
    const hash = hashSecret(options.token);
    if (active.some((t) => t.secretHash === hash)) return null;
    await prisma.$transaction([
      prisma.apiToken.updateMany({
        where: { name: BOOTSTRAP_NAME, revokedAt: null },
        data: { revokedAt: new Date() },
      }),
      prisma.apiToken.upsert({
        where: { secretHash: hash },
        update: { revokedAt: null, role: "ADMIN", name: BOOTSTRAP_NAME },
        create: { name: BOOTSTRAP_NAME, role: "ADMIN", secretHash: hash, createdBy: "FERRY_ADMIN_TOKEN" },
      }),
    ]);
    return null;
  }
  if (active.length > 0 && !options.rotate) return null;
  const secret = newSecret("api");
  await prisma.$transaction([
    prisma.apiToken.updateMany({
      where: { name: BOOTSTRAP_NAME, revokedAt: null },
      data: { revokedAt: new Date() },
    }),
    prisma.apiToken.create({
      data: { name: BOOTSTRAP_NAME, role: "ADMIN", secretHash: hashSecret(secret), createdBy: "bootstrap" },
    }),
  ]);
  return secret;
}

const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;

export function validateHostName(name: string, field: string): string {
  if (!HOST_NAME.test(name)) {
    throw new ValidationError(
      field,
      "host name must be 1-63 letters, digits, dots or hyphens, starting with a letter or digit",
    );
  }
  return name;
}

export interface EnrollmentInput {
  hostName: string;
  expiresInSeconds?: number | null;
}

/**
 * A single-use enrollment token for the agent of one host; the secret is returned once. `db` is the
 * transaction that also writes the call's audit entry (audit/service.ts auditedTransaction).
 */
export async function createEnrollment(
  app: App,
  createdBy: string,
  input: EnrollmentInput,
  db: Prisma.TransactionClient = app.db.prisma,
) {
  const hostName = validateHostName(input.hostName, "input.hostName");
  const ttl = input.expiresInSeconds ?? 24 * 3600;
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 30 * 24 * 3600) {
    throw new ValidationError("input.expiresInSeconds", "must be between 60 seconds and 30 days");
  }
  const secret = newSecret("enrollment");
  const enrollment = await db.agentEnrollment.create({
    data: {
      hostName,
      secretHash: hashSecret(secret),
      createdBy,
      expiresAt: new Date(Date.now() + ttl * 1000),
    },
  });
  return { enrollment, token: secret };
}

/**
 * Exchanges an enrollment for the agent's own credential, bound to the host (created if new), in one
 * transaction with the call's audit entry. Single use: a second call with the same enrollment fails
 * with ConflictError.
 */
export async function enrollAgent(
  app: App,
  enrollmentId: string,
  reportedHostName: string,
  audit?: (tx: Prisma.TransactionClient) => Promise<void>,
) {
  const prisma = app.db.prisma;
  const secret = newSecret("agent");
  return prisma.$transaction(async (tx) => {
    const enrollment = await tx.agentEnrollment.findUnique({ where: { id: enrollmentId } });
    if (!enrollment) throw new NotFoundError("enrollment", enrollmentId);
    if (enrollment.hostName.toLowerCase() !== reportedHostName.toLowerCase()) {
      throw new ValidationError(
        "input.hostName",
        `this enrollment is for host ${enrollment.hostName}, not ${reportedHostName}`,
      );
    }
    const claimed = await tx.agentEnrollment.updateMany({
      where: { id: enrollmentId, usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (claimed.count !== 1) throw new ConflictError("enrollment token already used or expired");
    const host = await tx.host.upsert({
      where: { name: enrollment.hostName },
      update: {},
      create: { name: enrollment.hostName, delegations: [], migrationSettings: { create: {} } },
    });
    await tx.agentCredential.create({
      data: { hostId: host.id, secretHash: hashSecret(secret), enrollmentId },
    });
    await audit?.(tx);
    return { host, credential: secret };
  });
}
