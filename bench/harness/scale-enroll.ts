// Enrollment for the scale benchmark. The first hosts enroll through the API as an operator and a new
// agent do (createAgentEnrollment, enrollAgent: agents.ts enrollHost), timed. The rest are written in
// one transaction with the rows enrollAgent writes (Host, its MigrationSettings, an AgentCredential
// holding the SHA-256 of a fresh agent secret), without the per-call audit entries: enrolling 10,000
// hosts one call at a time takes an hour on a loaded 2-core machine and is not what is measured.
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import type { Credential } from "./agents.ts";

/** services/api/src/modules/auth/secrets.ts: an agent secret's prefix (the API routes by it). */
const AGENT_SECRET_PREFIX = "fya_";

export async function enrollInBulk(db: pg.Pool, names: string[]): Promise<Credential[]> {
  if (names.length === 0) return [];
  const secrets = names.map(() => AGENT_SECRET_PREFIX + randomBytes(32).toString("base64url"));
  const hashes = secrets.map((s) => createHash("sha256").update(s, "utf8").digest("hex"));
  const client = await db.connect();
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ id: string; name: string }>(
      `INSERT INTO "Host" (id, name, delegations, "updatedAt")
       SELECT gen_random_uuid(), n, '{}', now() FROM unnest($1::text[]) AS n RETURNING id, name`,
      [names],
    );
    const idOf = new Map(rows.map((r) => [r.name, r.id]));
    const ids = names.map((n) => idOf.get(n)!);
    await client.query(`INSERT INTO "MigrationSettings" ("hostId") SELECT unnest($1::uuid[])`, [ids]);
    await client.query(
      `INSERT INTO "AgentCredential" (id, "hostId", "secretHash")
       SELECT gen_random_uuid(), h, s FROM unnest($1::uuid[], $2::text[]) AS t(h, s)`,
      [ids, hashes],
    );
    await client.query("COMMIT");
    return names.map((hostName, i) => ({ hostName, hostId: ids[i]!, secret: secrets[i]! }));
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
