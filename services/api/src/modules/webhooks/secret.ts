// Webhook signing secrets: shown once at creation, stored only encrypted (AES-256-GCM). Ferry must be
// able to sign with them, so unlike API tokens they cannot be hashed. The key comes from
// FERRY_WEBHOOK_KEY (several replicas: set the same value on each); without it the embedded database
// uses a random key kept in <FERRY_DATA_DIR>/webhook.key (mode 0600), outside the database, so a
// dump, an export or a backup of the database alone does not reveal the secrets. With PostgreSQL and
// no FERRY_WEBHOOK_KEY, createWebhook is refused: there is no place both replicas share but the database.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../../config.ts";

const PREFIX = "whsec_";

export function newWebhookSecret(): string {
  return PREFIX + randomBytes(32).toString("base64url");
}

/** The AES key, or null when none is configured (PostgreSQL without FERRY_WEBHOOK_KEY). */
export function webhookKey(config: Config): Buffer | null {
  if (config.webhooks.key) return createHash("sha256").update(config.webhooks.key, "utf8").digest();
  if (config.database.kind !== "pglite") return null;
  const file = path.join(config.database.dataDir, "webhook.key");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(config.database.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
}

/** "v1.<iv>.<tag>.<ciphertext>" (base64url). */
export function encryptSecret(key: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, cipher.getAuthTag(), data]
    .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
    .join(".");
}

/** Throws when the key is not the one the secret was encrypted with. */
export function decryptSecret(key: Buffer, stored: string): string {
  const [version, iv, tag, data] = stored.split(".");
  if (version !== "v1" || !iv || !tag || !data) throw new Error("unknown secret format");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

/** X-Ferry-Signature: "sha256=" + hex HMAC-SHA256 of "<timestamp>.<body>" with the webhook's secret. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")}`;
}
