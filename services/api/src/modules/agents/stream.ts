// The command stream of one agent session, delivered from the database: every read takes what is
// unanswered for the host, so a lost pub/sub hint delays a command by at most RESYNC_MS, never
// forever. Hints (agentCommand) only make it faster. A command of an ended migration is never sent;
// one nobody received before its deadline expires instead. One live session per agent credential:
// a newer session replaces an older one, which ends with SESSION_REPLACED and delivers nothing more.
import { COMMAND_EXPECTS, commandDeadline } from "@ferry/protocol";
import type { App } from "../../context.ts";
import { hotStatement, preparesStatements } from "../../db/hot-statement.ts";
import type { AgentCommand } from "../../generated/prisma/client.ts";
import { transitionCommand } from "./commands.ts";

/** How often the database is re-read for sessions whose host has unanswered commands. */
export const RESYNC_MS = 3_000;
const CHUNK = 1000;
const ENDED = ["SUCCEEDED", "FAILED", "CANCELLED"] as const;
const FENCED = Object.keys(COMMAND_EXPECTS);

interface Watcher {
  hostId: string;
  session: string;
  /** Something may be due: read the database. */
  wake(): void;
  /** Another session took this agent over. */
  replaced(): void;
}

interface Registry {
  watchers: Set<Watcher>;
  timer: NodeJS.Timeout;
}
const registries = new WeakMap<App, Registry>();

/**
 * One query per RESYNC_MS for all sessions this replica holds (2,000 agents must not cost 700
 * statements a second): wakes the sessions whose host has unanswered commands and ends the ones
 * another session replaced (also across replicas, where no local notice arrives).
 * The statement answers only those sessions (usually none), so it costs the same with 2,000 agents as
 * with 20: through Prisma, 2,000 hosts and their commands cost 40-80 ms of the event loop every 3 s
 * (issue 16: the fan-out and vms page tails with 2,000 agents connected). A plain read, on Prisma's pool.
 */
async function resync(app: App, registry: Registry) {
  const watchers = [...registry.watchers];
  for (let i = 0; i < watchers.length; i += CHUNK) {
    const chunk = watchers.slice(i, i + CHUNK);
    const { rows } = await app.db.pool.query<{ at: number; replaced: boolean }>(RESYNC_SQL, [
      chunk.map((w) => w.hostId),
      chunk.map((w) => w.session),
    ]);
    for (const row of rows) {
      const w = chunk[row.at - 1];
      if (!w) continue;
      if (row.replaced) w.replaced();
      else w.wake();
    }
  }
}

/**
 * The watchers (1-based position in $1/$2) whose host another session holds (`replaced`), or whose
 * host has an unanswered command; a host that no longer exists answers nothing.
 */
const RESYNC_SQL = `
  SELECT w.at::integer AS "at", h."agentReplica" IS DISTINCT FROM w.session AS "replaced"
  FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS w(host, session, at)
  JOIN "Host" h ON h."id" = w.host
  WHERE h."agentReplica" IS DISTINCT FROM w.session
     OR EXISTS (SELECT 1 FROM "AgentCommand" c
                WHERE c."hostId" = h."id" AND c."status" IN ('PENDING', 'DELIVERED'))`;

function watch(app: App, watcher: Watcher): () => void {
  let registry = registries.get(app);
  if (!registry) {
    const watchers = new Set<Watcher>();
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      const entry = registries.get(app);
      void (entry ? resync(app, entry) : Promise.resolve())
        .catch((err) => app.logger.warn({ err }, "command resync failed"))
        .finally(() => {
          running = false;
        });
    }, RESYNC_MS);
    timer.unref();
    registry = { watchers, timer };
    registries.set(app, registry);
  }
  const held = registry;
  held.watchers.add(watcher);
  return () => {
    held.watchers.delete(watcher);
    if (held.watchers.size === 0 && registries.get(app) === held) {
      clearInterval(held.timer);
      registries.delete(app);
    }
  };
}

/** Tells this replica's older sessions of the host that `session` replaced them (at once, no tick). */
export function replaceOlderSessions(app: App, hostId: string, session: string) {
  for (const w of registries.get(app)?.watchers ?? []) {
    if (w.hostId === hostId && w.session !== session) w.replaced();
  }
}

/**
 * Whether `session` ($2) still holds the host's agent, and whether the host has an unanswered command
 * (what due() then reads, fenced, through Prisma): one plain read on Prisma's pool (issue 16, decision
 * c). Through Prisma this was a read of the host on every wake, connects included, and a read of the
 * commands even when there were none. A command created after this read announces itself (a hint);
 * the resync finds one whose hint was lost.
 */
const DUE_SQL = `
  SELECT h."agentReplica" = $2 AS "live",
    EXISTS (SELECT 1 FROM "AgentCommand" c
            WHERE c."hostId" = h."id" AND c."status" IN ('PENDING', 'DELIVERED')) AS "unanswered"
  FROM "Host" h WHERE h."id" = $1::uuid`;

/** What the stream yields: a command, or the notice that this session was replaced. */
export type StreamItem = AgentCommand | { replaced: true };

/** Unanswered commands of the host that this session may send now (reading is the delivery). */
async function due(app: App, hostId: string, session: string, sent: Set<string>) {
  const prisma = app.db.prisma;
  const { rows: hosts } = await app.db.pool.query<{ live: boolean | null; unanswered: boolean }>(
    hotStatement(preparesStatements(app.db), "ferry_session_due", DUE_SQL, [hostId, session]),
  );
  if (!hosts[0]?.live) return null;
  // Nothing unanswered (a connect, usually): no read of the commands.
  if (!hosts[0].unanswered) return [];
  const rows = await prisma.agentCommand.findMany({
    where: {
      hostId,
      status: { in: ["PENDING", "DELIVERED"] },
      // The fence: a migration command of an ended migration is never sent.
      OR: [{ type: { notIn: FENCED } }, { migration: { state: { notIn: [...ENDED] } } }],
    },
    orderBy: { createdAt: "asc" },
  });
  const now = Date.now();
  const out: AgentCommand[] = [];
  for (const row of rows) {
    if (sent.has(row.id)) continue;
    if (row.status === "PENDING") {
      if (commandDeadline(row.type, row.createdAt).getTime() < now) {
        // Nobody received it in time: it must not run late (e.g. a configuration change hours later).
        await transitionCommand(prisma, row.id, "EXPIRED", {
          completedAt: new Date(),
          errorCode: "COMMAND_EXPIRED",
          errorMessage: "not delivered before its deadline",
        });
        continue;
      }
      // Only the live session delivers (a replaced one is fenced out by agentReplica).
      const delivered = await transitionCommand(
        prisma,
        row.id,
        "DELIVERED",
        { deliveredAt: new Date() },
        { host: { is: { agentReplica: session } } },
      );
      if (!delivered) continue;
      app.logger.info(
        {
          requestId: row.requestId,
          commandId: row.id,
          type: row.type,
          hostId,
          migrationId: row.migrationId,
        },
        "agent command sent",
      );
      out.push({ ...row, status: "DELIVERED" });
    } else {
      // Delivered before (an earlier session, a reconnect) and not answered: send again; the agent's
      // journal answers it without running it twice.
      out.push(row);
    }
  }
  return out;
}

/**
 * The command stream of one agent session: what is unanswered at once, then whatever a hint or the
 * periodic resync finds. Ends (yielding `{ replaced: true }`) when another session takes over.
 */
export async function* commandStream(
  app: App,
  hostId: string,
  session: string,
  signal: AbortSignal,
): AsyncGenerator<StreamItem> {
  const hints = app.pubsub.subscribe("agentCommand", hostId)[Symbol.asyncIterator]();
  let pending = true;
  let replaced = false;
  let notify: (() => void) | null = null;
  const wake = () => {
    pending = true;
    notify?.();
  };
  const onAbort = () => {
    wake();
    void hints.return?.();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  void (async () => {
    while (!signal.aborted) {
      const next = await hints.next();
      if (next.done) return;
      wake();
    }
  })().catch(() => {});
  const unwatch = watch(app, {
    hostId,
    session,
    wake,
    replaced: () => {
      replaced = true;
      wake();
    },
  });
  const sent = new Set<string>();
  try {
    while (!signal.aborted) {
      if (!pending) await new Promise<void>((resolve) => (notify = resolve));
      notify = null;
      if (signal.aborted) return;
      pending = false;
      const commands = replaced ? null : await due(app, hostId, session, sent);
      if (commands === null) {
        yield { replaced: true };
        return;
      }
      for (const command of commands) {
        if (signal.aborted) return;
        sent.add(command.id);
        yield command;
      }
    }
  } finally {
    unwatch();
    signal.removeEventListener("abort", onAbort);
    await hints.return?.();
  }
}
