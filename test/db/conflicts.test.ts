// A real PostgreSQL deadlock between two Prisma transactions: the error Prisma's pg adapter raises
// is recognized as a write conflict, and retryOnConflict runs the aborted one again so both commit.
// (An agent's inventory statement and a migration's end met this way in CI and the loser's request
// failed with a masked internal error.)

import { createLogger, loadConfig } from "@ferry/api/server";
import { type Database, isWriteConflict, openDatabase, retryOnConflict } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, postgresUrl, type TestDatabaseEnv } from "../helpers/database.ts";

describe("isWriteConflict", () => {
  it("knows deadlocks and serialization failures, in any of the shapes Prisma wraps them", () => {
    expect(isWriteConflict({ code: "P2034" })).toBe(true);
    expect(isWriteConflict({ code: "P2010", meta: { code: "40P01" } })).toBe(true);
    expect(isWriteConflict({ cause: { originalCode: "40001" } })).toBe(true);
    expect(isWriteConflict(new Error("deadlock detected"))).toBe(true);
    expect(isWriteConflict({ code: "P2002" })).toBe(false);
    expect(isWriteConflict(new Error("duplicate key value violates unique constraint"))).toBe(false);
    expect(isWriteConflict(null)).toBe(false);
  });

  it("retries only conflicts, and gives up after the last attempt", async () => {
    let calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw new Error("unique violation");
      }),
    ).rejects.toThrow("unique violation");
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retryOnConflict(async () => {
        calls++;
        throw { code: "P2034" };
      }, 3),
    ).rejects.toEqual({ code: "P2034" });
    expect(calls).toBe(3);
  });
});

describe.skipIf(!postgresUrl)("two transactions that deadlock on PostgreSQL (needs DATABASE_URL)", () => {
  let database: TestDatabaseEnv;
  let db: Database;
  beforeAll(async () => {
    database = await freshDatabase();
    db = await openDatabase(loadConfig(database.env), createLogger("silent"));
    await db.prisma.$executeRawUnsafe("CREATE TABLE deadlock_probe (id int PRIMARY KEY, n int NOT NULL)");
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /** T(a, b): locks row a, waits until the other transaction holds its first row, then locks row b. */
  function crossing(retry: boolean) {
    let arrived = 0;
    let release: () => void = () => {};
    const bothHoldOne = new Promise<void>((r) => (release = r));
    const attempts = { first: 0, second: 0 };
    const run = (name: "first" | "second", a: number, b: number) => {
      const once = () =>
        db.prisma.$transaction(
          async (tx) => {
            attempts[name]++;
            await tx.$executeRawUnsafe("UPDATE deadlock_probe SET n = n + 1 WHERE id = $1", a);
            if (++arrived === 2) release();
            await bothHoldOne;
            await tx.$executeRawUnsafe("UPDATE deadlock_probe SET n = n + 1 WHERE id = $1", b);
          },
          { timeout: 30_000, maxWait: 30_000 },
        );
      return retry ? retryOnConflict(once) : once();
    };
    return { results: Promise.allSettled([run("first", 1, 2), run("second", 2, 1)]), attempts };
  }

  it("without a retry one of them fails, with an error recognized as a write conflict", async () => {
    await db.prisma.$executeRawUnsafe("TRUNCATE deadlock_probe");
    await db.prisma.$executeRawUnsafe("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)");
    const results = await crossing(false).results;
    const failed = results.filter((r) => r.status === "rejected");
    expect(failed).toHaveLength(1);
    expect(isWriteConflict((failed[0] as PromiseRejectedResult).reason)).toBe(true);
  });

  it("with retryOnConflict both commit: every increment is applied exactly once", async () => {
    await db.prisma.$executeRawUnsafe("TRUNCATE deadlock_probe");
    await db.prisma.$executeRawUnsafe("INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)");
    const { results, attempts } = crossing(true);
    expect((await results).map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    expect(attempts.first + attempts.second).toBe(3);
    const rows = await db.prisma.$queryRawUnsafe<{ id: number; n: number }[]>(
      "SELECT id, n FROM deadlock_probe ORDER BY id",
    );
    expect(rows).toEqual([
      { id: 1, n: 2 },
      { id: 2, n: 2 },
    ]);
  });
});
