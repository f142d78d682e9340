// HOST_READINESS_CHANGED: readiness is computed on demand (configuration/readiness.ts), not stored, so
// this module remembers each host's last summary (check names and statuses) in HostReadinessSeen and
// raises the event in the transaction that records a different one. Checked after every inventory
// report of a host (a reaction, app.ts) and for every host once a minute (agent connected or lost,
// peers changed). A host's first summary is recorded without an event.
import type { App, Context } from "../../context.ts";
import { isAgentLive } from "../agents/presence.ts";
import { computeReadiness } from "../configuration/readiness.ts";
import { loadFleet, READINESS_HOST_SELECT } from "../configuration/readiness-schema.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import { readinessEvent } from "../webhooks/views.ts";

const SWEEP_MS = 60_000;

// The fleet (every host's identity) changes rarely: read at most every few seconds per App, so a burst
// of inventory reports or reconnects does not read it once per host.
const FLEET_TTL_MS = 5000;
const fleets = new WeakMap<App, { at: number; fleet: ReturnType<typeof loadFleet> }>();

function fleetOf(app: App) {
  const cached = fleets.get(app);
  if (cached && Date.now() - cached.at < FLEET_TTL_MS) return cached.fleet;
  const ctx: Context = { app, principal: null, requestId: "webhooks-readiness" };
  const fleet = loadFleet(ctx);
  fleets.set(app, { at: Date.now(), fleet });
  fleet.catch(() => fleets.delete(app));
  return fleet;
}

/** Recomputes the readiness of `hostIds` (all hosts when omitted); raises an event for each that changed. */
export async function checkReadiness(app: App, hostIds?: string[]): Promise<number> {
  const fleet = await fleetOf(app);
  const hosts = await app.db.prisma.host.findMany({
    where: hostIds ? { id: { in: hostIds } } : {},
    select: READINESS_HOST_SELECT,
  });
  let changed = 0;
  for (const h of hosts) {
    const checks = computeReadiness(
      {
        ...h,
        agentConnected: isAgentLive(h),
        settings: h.migrationSettings,
        networks: h.migrationNetworks,
        adapters: h.networkAdapters,
      },
      fleet,
    );
    const summary = checks.map((c) => `${c.name}:${c.status}`).join(",");
    await app.db.prisma.$transaction(async (tx) => {
      // Guarded: only the replica whose statement changed the summary raises the event.
      const rows = await tx.$queryRaw<{ inserted: boolean }[]>`
        INSERT INTO "HostReadinessSeen" ("hostId", "summary") VALUES (${h.id}::uuid, ${summary})
        ON CONFLICT ("hostId") DO UPDATE SET "summary" = EXCLUDED."summary", "at" = now()
        WHERE "HostReadinessSeen"."summary" <> EXCLUDED."summary"
        RETURNING (xmax = 0) AS inserted`;
      if (rows.length === 1 && !rows[0]!.inserted) {
        await enqueueWebhookEvent(tx, readinessEvent(h, checks));
        changed += 1;
      }
    });
  }
  return changed;
}

/** The once-a-minute sweep (a worker of app.ts). */
export function startReadinessWatch(app: App) {
  const timer = setInterval(() => {
    void app.inflight
      .track(checkReadiness(app))
      .catch((err) => app.logger.warn({ err, module: "webhooks" }, "readiness sweep failed"));
  }, SWEEP_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
