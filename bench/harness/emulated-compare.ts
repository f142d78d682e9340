// The emulated agents' answer to COMPARE_VM (bench scheduler): moveVm's preflight asks the source
// agent to run Compare-VM and waits up to 8 s for the answer (migrations/compare.ts). Benchmarks that
// emulate the agents' presence without their sockets would measure that timeout, not moveVm: this
// answers each command from the simulated world, as the simulated agent's runner does
// (services/agent/src/runner/handlers/migrations.ts), by writing the result to the command's row.
// The API's waiter reads the row (it polls every 500 ms when no completion is announced), so an
// answer arrives within about that, like a real agent's Compare-VM run through PowerShell.
import type { SimWorld } from "@ferry/agent/simulator";
import type pg from "pg";

const POLL_MS = 100;

interface PendingCompare {
  id: string;
  hostName: string;
  payload: { vmId: string; destinationHost: string };
}

/** Answers COMPARE_VM commands until the returned stop() is called; counts the answers. */
export function answerCompares(db: pg.Pool, world: SimWorld, log: (msg: string) => void) {
  let stopped = false;
  let answered = 0;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await db.query<PendingCompare>(
        `SELECT c.id, h.name AS "hostName", c.payload FROM "AgentCommand" c JOIN "Host" h ON h.id = c."hostId"
         WHERE c.type = 'COMPARE_VM' AND c.status IN ('PENDING', 'DELIVERED')`,
      );
      for (const c of rows) {
        const outcome = await world
          .backend(c.hostName)
          .compareVm(c.payload.vmId, c.payload.destinationHost)
          .then(
            (issues) => ({ status: "SUCCEEDED", result: JSON.stringify({ issues }), error: null }),
            (e: Error) => ({ status: "FAILED", result: null, error: e.message }),
          );
        await db.query(
          `UPDATE "AgentCommand" SET status = $2::"CommandStatus", result = $3::jsonb, "errorMessage" = $4,
             "completedAt" = now() WHERE id = $1 AND status IN ('PENDING', 'DELIVERED')`,
          [c.id, outcome.status, outcome.result, outcome.error],
        );
        answered++;
      }
      if (!rows.length) await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })().catch((e) => log(`emulated COMPARE_VM answers stopped: ${e}`));
  return {
    answered: () => answered,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}
