// What connected agents cost the API while nothing happens (issue 16: the fan-out and vms page tails
// with 2,000 agents connected). The periodic work for all of this replica's agents (the command
// stream's resync every 3 s, the socket sweep, the lastSeen heartbeat every 20 s) is one statement
// each with one array parameter, answering only the rows that need action: an `IN` list of every
// agent's host or credential through Prisma cost 20-80 ms of the event loop per statement at 2,000
// agents (and the resync read every host's row every 3 s). Observed at the `pg` driver, as
// test/helpers/sql.ts does; the heartbeat's 20 s period is longer than this test's window.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";

const HOSTS = 12;

let api: TestApi;
let fleet: TestFleet;
beforeAll(async () => {
  api = await startTestApi({ FERRY_SOCKET_SWEEP_SECONDS: "1" });
  fleet = await startTestFleet(api, { hosts: HOSTS, vmsPerHost: 2 });
}, 120_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

interface Sent {
  text: string;
  values: number;
}

/** Statements sent while `run` runs, with how many values each carried. */
async function sentDuring(run: () => Promise<void>): Promise<Sent[]> {
  const sent: Sent[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string; values?: unknown[] };
    const text = typeof first === "string" ? first : (first?.text ?? "");
    const values = (typeof first === "string" ? args[1] : first?.values) as unknown[] | undefined;
    sent.push({ text, values: Array.isArray(values) ? values.length : 0 });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await run();
  } finally {
    pg.Client.prototype.query = original;
  }
  return sent;
}

/** Statements on the agents' rows, except the simulated agents' own inventory reports (every 5 s). */
const periodicOnAgents = (s: Sent) =>
  /"Host"|"AgentCredential"|"AgentCommand"/.test(s.text) && !/host_up/.test(s.text);

describe(`${HOSTS} agents connected, nothing to do`, () => {
  it("the periodic resync and socket sweep send no value per agent (one array each)", async () => {
    const sent = await sentDuring(() => new Promise((resolve) => setTimeout(resolve, 4_000)));
    const periodic = sent.filter(periodicOnAgents);
    const resyncs = periodic.filter((s) => /unnest\(\$1::uuid\[\], \$2::text\[\]\)/.test(s.text));
    const sweeps = periodic.filter((s) => /FROM "AgentCredential" WHERE "id" = ANY/.test(s.text));
    const perAgent = periodic.filter((s) => s.values >= HOSTS);
    expect(perAgent.map((s) => `${s.text.slice(0, 160)} (${s.values} values)`)).toEqual([]);
    expect(resyncs.length, "a resync ran in 4 s").toBeGreaterThan(0);
    expect(sweeps.length, "a socket sweep ran in 4 s").toBeGreaterThan(0);
  }, 30_000);
});
