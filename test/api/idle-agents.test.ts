// What connected agents cost the API while nothing happens (issue 16: the fan-out and vms page tails
// with 2,000 agents connected). The periodic work for all of this replica's agents (the command
// stream's resync every 3 s, the socket sweep, the lastSeen heartbeat every 20 s) is one statement
// each with one array parameter, answering only the rows that need action: an `IN` list of every
// agent's host or credential through Prisma cost 20-80 ms of the event loop per statement at 2,000
// agents (and the resync read every host's row every 3 s). Observed at the `pg` driver, as
// test/helpers/sql.ts does; the heartbeat's 20 s period is longer than this test's window.
import { issueCommand } from "@ferry/api/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { enrolledAgent } from "../security/principals.ts";

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
async function sentDuring(run: (sent: Sent[]) => Promise<void>): Promise<Sent[]> {
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
    await run(sent);
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

// What one agent's connect costs the API in statements (issue 16: 2,000 agents connecting at once kept
// the API ~95 % busy, most of it in Prisma's query pipeline): authentication is one statement (the
// credential with its host's name, lastUsedAt touched in it), the presence two (the host's view, then
// the flag with its AGENT_CONNECTED event), the first read of the command stream one (the session
// still holds the agent; nothing unanswered, so no read of the commands), all on the pool, none
// built by Prisma. Before: six, five of them through Prisma.
describe("an agent's connect", () => {
  /** The connect path's statements (not the readiness reactions or the scheduler it wakes). */
  const onConnectPath = (s: Sent) =>
    /"AgentCredential"|"agentReplica"|"AgentCommand"|"agentVersion"/.test(s.text) &&
    !/unnest\(|= ANY\(|"Migration"|host_up|seen AS/.test(s.text);

  it("costs four statements, none through Prisma, and still authenticates, marks and streams", async () => {
    const agent = await enrolledAgent(api, "HV-CONNECT-COST");
    const prisma = api.server.app.db.prisma;
    const hostId = (await prisma.host.findUniqueOrThrow({ where: { name: "HV-CONNECT-COST" } })).id;
    const credential = await prisma.agentCredential.findFirstOrThrow({ where: { hostId } });
    expect(credential.lastUsedAt).toBeNull();
    let client: ReturnType<typeof wsClient> | undefined;
    let commands: ReturnType<typeof collect<{ agentCommands: { id: string } }>> | undefined;
    try {
      const sent = await sentDuring(async (sent) => {
        const connecting = wsClient(api.url, agent.credential);
        client = connecting;
        commands = collect<{ agentCommands: { id: string } }>(
          connecting,
          "subscription { agentCommands { id } }",
        );
        // The command stream's first read is the connect's last statement.
        await eventually(
          async () =>
            sent.some((s) => /"agentReplica" = \$2 AS "live"|FROM "public"\."AgentCommand"/.test(s.text)),
          60_000,
        );
      });
      const path = sent.filter(onConnectPath).map((s) => s.text.replace(/\s+/g, " ").trim());
      expect(path.filter((t) => /"AgentCredential"/.test(t))).toHaveLength(1);
      expect(
        path.filter((t) => /"public"\./.test(t)),
        "built by Prisma",
      ).toEqual([]);
      expect(path).toHaveLength(4);
      // Behaviour: lastUsedAt touched, the host connected with this replica's session, and the stream
      // delivers a command issued now.
      const host = await prisma.host.findUniqueOrThrow({ where: { id: hostId } });
      expect(host.agentConnected).toBe(true);
      expect(host.agentReplica).toMatch(new RegExp(`^${api.server.app.replicaId}/`));
      const touched = await prisma.agentCredential.findUniqueOrThrow({ where: { id: credential.id } });
      expect(touched.lastUsedAt?.getTime()).toBeGreaterThan(Date.now() - 120_000);
      const command = await issueCommand(api.server.app, {
        hostId,
        type: "REFRESH_INVENTORY",
        payload: {},
        requestedBy: "test",
      });
      await commands!.next((e) => e.agentCommands.id === command.id);
    } finally {
      commands?.stop();
      await client?.dispose();
    }
  }, 90_000);
});
