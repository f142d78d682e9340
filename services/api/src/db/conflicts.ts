// PostgreSQL aborts one of two transactions that wait on each other (deadlock, SQLSTATE 40P01) or
// that cannot be serialized (40001), and its documentation's answer is to run the loser again.
// Ferry's writers that can meet that way (an agent's inventory statement and a migration's end,
// which re-homes the VM and touches rows the inventory also locks) retry here instead of failing
// the agent's request with an internal error. PGlite runs one statement at a time and never does.
// https://www.postgresql.org/docs/current/mvcc-serialization-failure-handling.html

const CONFLICT_SQLSTATES = new Set(["40P01", "40001"]);
const CONFLICT_MESSAGE = /deadlock detected|could not serialize access/i;

/** True when `error` (or one of its causes) is a deadlock or serialization failure worth retrying. */
export function isWriteConflict(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 6) return false;
  const e = error as {
    code?: unknown;
    originalCode?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (e.code === "P2034" || e.kind === "TransactionWriteConflict") return true;
  if (typeof e.code === "string" && CONFLICT_SQLSTATES.has(e.code)) return true;
  if (typeof e.originalCode === "string" && CONFLICT_SQLSTATES.has(e.originalCode)) return true;
  if (typeof e.message === "string" && CONFLICT_MESSAGE.test(e.message)) return true;
  const meta = (error as { meta?: unknown }).meta;
  return isWriteConflict(e.cause, depth + 1) || isWriteConflict(meta, depth + 1);
}

/**
 * Runs `work` again (a whole transaction, never a part of one) when PostgreSQL aborted it for a
 * write conflict: up to `attempts` times, with a short random pause so the two do not meet again.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isWriteConflict(err)) throw err;
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
    }
  }
}
