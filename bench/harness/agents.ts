// Lightweight simulated agents for load: many per process, each with its own real WebSocket.
//
// Built from the contract (@ferry/protocol: the typed GraphQL documents, the command schemas, toWire)
// and the real agent's link code (services/agent/src/link: openLink = the graphql-ws client with
// reconnect and the agentCommands subscription, enroll)
// and the real simulator backend (SimWorld over generateFleet), but without the rest of
// createAgent(): its on-disk state store and command journal per agent, its 5 s inventory poll and
// 2 s event poll. 2,000 full agents in one process on a 2-core machine would spend the CPU in the
// harness instead of the API, and the benchmarks need to decide (and time) when reports are sent.

import { accepted, enroll, type HyperVBackend, type Link, openLink } from "@ferry/agent/testing";
import {
  type AgentCommand,
  CommandResultDocument,
  type CommandsSubscription,
  JobUpdateDocument,
  type JobUpdateMutationVariables,
  parseCommand,
  ReportInventoryDocument,
  toWire,
} from "@ferry/protocol";
import { gql } from "./api.ts";
import { sleep } from "./stats.ts";

export const BENCH_AGENT_VERSION = "bench-0.1.0";

const CREATE_ENROLLMENT = /* GraphQL */ `
  mutation($input: CreateAgentEnrollmentInput!) {
    createAgentEnrollment(input: $input) { token errors { message } }
  }`;

export interface Credential {
  hostName: string;
  /** Host row id (uuid). */
  hostId: string;
  secret: string;
}

/**
 * A request the connection refused, not the API: on a loaded machine undici reuses a kept-alive socket
 * just as the API closes it ("fetch failed", cause "other side closed"), and the request never arrives.
 */
function socketClosed(error: unknown): boolean {
  const cause = (error as Error | undefined)?.cause as { code?: string; message?: string } | undefined;
  return (
    error instanceof TypeError &&
    !!cause &&
    (cause.code === "UND_ERR_SOCKET" ||
      cause.code === "ECONNRESET" ||
      /other side closed/.test(cause.message ?? ""))
  );
}

/**
 * Enrolls one host the way an operator and a new agent do: an enrollment token, then enrollAgent. A
 * request lost to a closed socket starts the enrollment again (a new token; at most 3 attempts).
 */
export async function enrollHost(apiUrl: string, hostName: string): Promise<Credential> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await enrollOnce(apiUrl, hostName);
    } catch (error) {
      if (attempt >= 3 || !socketClosed(error)) throw error;
    }
  }
}

async function enrollOnce(apiUrl: string, hostName: string): Promise<Credential> {
  const data = await gql<{
    createAgentEnrollment: { token: string | null; errors: { message: string }[] | null };
  }>(apiUrl, CREATE_ENROLLMENT, { input: { hostName } });
  const token = data.createAgentEnrollment.token;
  if (!token)
    throw new Error(`createAgentEnrollment(${hostName}): ${data.createAgentEnrollment.errors?.[0]?.message}`);
  const { credential, hostId } = await enroll(apiUrl, token, hostName);
  // enrollAgent answers a global id ("Host:<uuid>" in base64); the raw SQL baselines need the row id.
  const decoded = Buffer.from(hostId, "base64").toString("utf8");
  return { hostName, hostId: decoded.startsWith("Host:") ? decoded.slice(5) : hostId, secret: credential };
}

export type Wire = Record<string, unknown> & { vms: Record<string, unknown>[] };

export interface SimAgent {
  hostName: string;
  credential: Credential;
  backend: HyperVBackend;
  /** Resolves when the first inventory report after the first connect was acknowledged. */
  ready: Promise<void>;
  /** Jobs started by START_MOVE (migrationId → jobId), answered without running a simulated move. */
  startedMoves: Map<string, string>;
  onStartMove?: (migrationId: string) => void;
  reconnects: number;
  /** performance.now() at start, first connection_ack, first acknowledged report. */
  times: { start: number; connected: number; reported: number };
  currentWire(): Promise<Wire>;
  /** Sends agentReportInventory over this agent's socket; returns the API's `changed`. */
  report(wire: Wire): Promise<boolean>;
  jobUpdate(input: JobUpdateMutationVariables["input"]): Promise<void>;
  close(): Promise<void>;
}

export function startSimAgent(apiUrl: string, credential: Credential, backend: HyperVBackend): SimAgent {
  let link: Link | null = null;
  let connects = 0;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});

  const agent: SimAgent = {
    hostName: credential.hostName,
    credential,
    backend,
    ready,
    startedMoves: new Map(),
    reconnects: 0,
    times: { start: performance.now(), connected: 0, reported: 0 },
    async currentWire() {
      return toWire(await backend.getInventory()) as Wire;
    },
    async report(wire) {
      if (!link) throw new Error("not started");
      const r = await link.request(ReportInventoryDocument, {
        input: { inventory: wire, agentVersion: BENCH_AGENT_VERSION, backend: backend.kind },
      });
      return (
        accepted(`agentReportInventory(${credential.hostName})`, r.agentReportInventory).changed === true
      );
    },
    async jobUpdate(input) {
      if (!link) throw new Error("not started");
      const r = await link.request(JobUpdateDocument, { input });
      accepted("agentJobUpdate", r.agentJobUpdate);
    },
    async close() {
      await link?.close();
      link = null;
    },
  };

  const answer = (command: { id: string }, succeeded: boolean, result: unknown, error?: string) =>
    link
      ?.request(CommandResultDocument, {
        input: {
          commandId: command.id,
          succeeded,
          result,
          errorCode: succeeded ? null : "NOT_SUPPORTED",
          errorMessage: error ?? null,
        },
      })
      .catch(() => {});

  const onCommand = async (received: CommandsSubscription["agentCommands"]) => {
    try {
      const command: AgentCommand = parseCommand(received);
      if (command.type === "COMPARE_VM") {
        const p = command.payload;
        return answer(command, true, { issues: await backend.compareVm(p.vmId, p.destinationHost) });
      }
      if (command.type === "START_MOVE") {
        const migrationId = command.payload.migrationId;
        const jobId = agent.startedMoves.get(migrationId) ?? `bench-job-${migrationId.slice(0, 8)}`;
        agent.startedMoves.set(migrationId, jobId);
        await answer(command, true, { jobId });
        agent.onStartMove?.(migrationId);
        return;
      }
      if (command.type === "REFRESH_INVENTORY") {
        await agent.report(await agent.currentWire());
        return answer(command, true, {});
      }
      return answer(command, false, null, `the bench agent does not run ${command.type}`);
    } catch (error) {
      return answer(received, false, null, (error as Error).message);
    }
  };

  link = openLink({
    apiUrls: [apiUrl],
    credential: credential.secret,
    log: () => {},
    onConnected: () => {
      connects++;
      if (connects > 1) agent.reconnects++;
      else agent.times.connected = performance.now();
      // Like the real agent: a full inventory report on every connect.
      void agent
        .currentWire()
        .then((wire) => agent.report(wire))
        .then(
          () => {
            agent.times.reported ||= performance.now();
            resolveReady();
          },
          (e: Error) => rejectReady(e),
        );
    },
    onCommand: (command) => void onCommand(command),
    onFatal: (reason) => rejectReady(new Error(`${credential.hostName}: ${reason}`)),
  });
  return agent;
}

/** The API was busy: no answer within the agent's 30 s, or "temporarily unavailable ... retry shortly". */
export function busy(error: unknown): boolean {
  const e = error as Error;
  return e?.name === "RequestTimeoutError" || /temporarily unavailable|retry shortly/i.test(e?.message ?? "");
}

/**
 * The first report acknowledged: sent again after 1-5 s while the API is busy (no answer in 30 s, or
 * refused "retry shortly": the API refuses a report that waited 20 s for its turn), until the connect
 * phase's deadline.
 */
export async function reportedEventually(agent: SimAgent, onRetry: () => void): Promise<void> {
  let error: unknown = await agent.ready.then(
    () => null,
    (e: unknown) => e,
  );
  while (error !== null) {
    if (!busy(error)) throw error;
    onRetry();
    await sleep(1000 + Math.random() * 4000);
    error = await agent
      .currentWire()
      .then((wire) => agent.report(wire))
      .then(
        () => null,
        (e: unknown) => e,
      );
  }
}
