// Bearer secrets: 256 random bits with a kind prefix; only their SHA-256 is stored. SHA-256 (not a
// slow hash) is right here because the secrets are high-entropy, not user-chosen passwords.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export type SecretKind = "api" | "agent" | "enrollment";

const PREFIX: Record<SecretKind, string> = { api: "fy_", agent: "fya_", enrollment: "fye_" };

export function newSecret(kind: SecretKind): string {
  return PREFIX[kind] + randomBytes(32).toString("base64url");
}

/** Which table holds this secret; anything unprefixed (e.g. a chosen FERRY_ADMIN_TOKEN) is an API token. */
export function secretKind(secret: string): SecretKind {
  if (secret.startsWith(PREFIX.agent)) return "agent";
  if (secret.startsWith(PREFIX.enrollment)) return "enrollment";
  return "api";
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** "Bearer <secret>" → secret, or null. */
export function bearer(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}
