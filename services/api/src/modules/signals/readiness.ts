// HOST_READINESS_CHANGED: readiness is computed on demand (configuration/readiness.ts), not stored, so
// this module remembers each host's last summary (check names and statuses) in HostReadinessSeen and
// raises the event in the transaction that records a different one. Checked after every inventory
// report of a host (a reaction, app.ts) and for every host about once a minute (agent connected or
// lost, peers changed; less often on a fleet whose sweep takes long). A host's first summary is
// recorded without an event.
import { setTimeout as sleep, setImmediate as yieldToLoop } from "node:timers/promises";
import type { App, Context } from "../../context.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { isAgentLive } from "../agents/presence.ts";
import { computeReadiness } from "../configuration/readiness.ts";
import { loadFleet, READINESS_HOST_SELECT } from "../configuration/readiness-schema.ts";
import { enqueueWebhookEvents } from "../webhooks/outbox.ts";
import { readinessEvent } from "../webhooks/views.ts";

/** The largest share of the API's time the sweep may take (the pause after one grows with its length). */
const SWEEP_SHARE = 0.1;

/**
 * While readiness of many hosts is checked (a sweep, a reaction batch), the largest share of the API's
 * time it takes: after each page of hosts it pauses three times as long as the page took. Unpaced, a
 * sweep of 2,000 hosts kept the API's core busy for ~2 s, and progress to 500 subscribers that arrived
 * meanwhile came 70-230 ms late at p99 instead of 15-50 ms (bench fanout; bench/RESULTS.md, issue 16).
 */
const BUSY_SHARE = 0.25;

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

/**
 * Pauses so that the work since the previous call (or since it was made) took at most BUSY_SHARE of the
 * time: whatever else ran meanwhile counts too, so a busy API slows its checks further. False once `stop`
 * was aborted.
 */
function pacer(stop?: AbortSignal): () => Promise<boolean> {
  let since = performance.now();
  return async () => {
    const pause = (performance.now() - since) * (1 / BUSY_SHARE - 1);
    await sleep(pause, undefined, { signal: stop }).catch(() => {});
    since = performance.now();
    return !stop?.aborted;
  };
}

/** Summaries recorded per transaction: a sweep of 10,000 hosts is 20 statements, not 10,000 transactions. */
const CHUNK = 500;

/**
 * Hosts read per statement. Prisma builds a page of hosts with their four relations in one turn of the
 * event loop: 2,000 hosts were one 43-49 ms block (1,000, a reaction batch, about half), which requests
 * and subscription events waited behind (issue 16: the tails with 2,000 agents connected).
 */
export const READ_CHUNK = 100;

const readHosts = (app: App, where: Prisma.HostWhereInput, take?: number) =>
  app.db.prisma.host.findMany({
    where,
    select: READINESS_HOST_SELECT,
    ...(take ? { orderBy: { id: "asc" as const }, take } : {}),
  });

/** The hosts to check, READ_CHUNK at a time: `hostIds` in chunks, or every host by id (keyset). */
async function* hostPages(app: App, hostIds?: string[]) {
  if (hostIds) {
    for (let i = 0; i < hostIds.length; i += READ_CHUNK) {
      yield await readHosts(app, { id: { in: hostIds.slice(i, i + READ_CHUNK) } });
    }
    return;
  }
  let after: string | null = null;
  for (;;) {
    const page = await readHosts(app, after ? { id: { gt: after } } : {}, READ_CHUNK);
    if (page.length > 0) yield page;
    if (page.length < READ_CHUNK) return;
    after = page[page.length - 1]!.id;
  }
}

/**
 * Recomputes the readiness of `hostIds` (all hosts when omitted); raises an event for each that changed.
 * `stop` (the sweep's, when the API shuts down) ends it between pages (what was recorded stays).
 */
export async function checkReadiness(app: App, hostIds?: string[], stop?: AbortSignal): Promise<number> {
  const started = performance.now();
  const several = !hostIds || hostIds.length > 1;
  const pace = pacer(stop);
  const fleet = await fleetOf(app);
  // Each host against its peers (per group of peers, configuration/readiness-peers.ts): still a second
  // or more of CPU for thousands of hosts. One host at a time, giving the event loop back in between,
  // so requests and agents are served meanwhile, and paced per page (BUSY_SHARE).
  const computed = [];
  for await (const hosts of hostPages(app, hostIds)) {
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
      computed.push({ host: h, checks, summary: checks.map((c) => `${c.name}:${c.status}`).join(",") });
      if (several) await yieldToLoop();
    }
    if (several && !(await pace())) return 0;
  }
  let changed = 0;
  for (let i = 0; i < computed.length; i += CHUNK) {
    const chunk = computed.slice(i, i + CHUNK);
    const byId = new Map(chunk.map((c) => [c.host.id, c]));
    const rows = chunk.map((c) => ({ hostId: c.host.id, summary: c.summary }));
    changed += await app.db.prisma.$transaction(async (tx) => {
      // Guarded: only the replica whose statement changed a summary raises its event (a first summary,
      // inserted, raises none).
      const seen = await tx.$queryRaw<{ hostId: string; inserted: boolean }[]>`
        INSERT INTO "HostReadinessSeen" ("hostId", "summary")
        SELECT (e->>'hostId')::uuid, e->>'summary' FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) AS e
        ON CONFLICT ("hostId") DO UPDATE SET "summary" = EXCLUDED."summary", "at" = now()
        WHERE "HostReadinessSeen"."summary" <> EXCLUDED."summary"
        RETURNING "hostId"::text AS "hostId", (xmax = 0) AS inserted`;
      // The chunk's events in one statement (one each was ~2 ms of CPU per changed host).
      const events = seen
        .filter((row) => !row.inserted)
        .map((row) => readinessEvent(byId.get(row.hostId)!.host, byId.get(row.hostId)!.checks));
      await enqueueWebhookEvents(tx, events);
      return events.length;
    });
    // A stopped sweep has recorded whole chunks (each its own transaction); the next one does the rest.
    if (several && i + CHUNK < computed.length && !(await pace())) return changed;
  }
  const seconds = (performance.now() - started) / 1000;
  await app.hooks.emit("readinessChecked", { hosts: computed.length, changed, seconds, sweep: !hostIds });
  return changed;
}

/**
 * The sweep of every host (a worker of app.ts): FERRY_READINESS_SWEEP_SECONDS (a minute) after the
 * previous one ended, or longer on a fleet whose sweep takes more than a few seconds (at most SWEEP_SHARE
 * of the time goes to sweeping). Sweeps never overlap. ferry_readiness_sweep_seconds times them.
 */
export function startReadinessWatch(app: App) {
  const pauseMs = app.config.readinessSweepSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const stopping = new AbortController();
  const schedule = (ms: number) => {
    if (stopping.signal.aborted) return;
    timer = setTimeout(sweep, ms);
    timer.unref();
  };
  const sweep = () => {
    const started = performance.now();
    void app.inflight
      .track(checkReadiness(app, undefined, stopping.signal))
      .catch((err) => app.logger.warn({ err, module: "webhooks" }, "readiness sweep failed"))
      // A sweep is busy about BUSY_SHARE of its length (it paces itself).
      .finally(() => schedule(Math.max(pauseMs, ((performance.now() - started) * BUSY_SHARE) / SWEEP_SHARE)));
  };
  schedule(pauseMs);
  return {
    stop: () => {
      stopping.abort();
      clearTimeout(timer);
    },
  };
}
