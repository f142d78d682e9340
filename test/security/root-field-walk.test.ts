// Issue 6's root-field walk: every root field of the printed schema.graphql, over HTTP and WebSocket,
// with no token, with each role and as an agent. Denied calls are UNAUTHENTICATED / FORBIDDEN and
// change nothing but the audit log (one DENIED entry per mutation call); allowed calls are never
// refused and leave exactly one audit entry per mutation call.

import { Prisma, TELEMETRY_OPERATIONS } from "@ferry/api/testing";
import type { Client } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { allPrincipals } from "./principals.ts";
import { type Access, allowed, EXPECTED_ACCESS, type PrincipalName } from "./roles.ts";
import { type Answer, codes, httpOnce, wsConnect, wsOnce } from "./transport.ts";
import { type RootOperation, rootOperations } from "./walk.ts";

let api: TestApi;
let secrets: Record<PrincipalName, string>;
const clients: Client[] = [];
const operations = rootOperations();
const PRINCIPALS: PrincipalName[] = ["VIEWER", "OPERATOR", "ADMIN", "AGENT", "ENROLLMENT"];

beforeAll(async () => {
  api = await startTestApi();
  secrets = await allPrincipals(api);
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await api?.stop();
});

const accessOf = (op: RootOperation): Access | undefined => EXPECTED_ACCESS[op.root][op.field];

async function tableCounts(): Promise<Record<string, number>> {
  const prisma = api.server.app.db.prisma as unknown as Record<string, { count(): Promise<number> }>;
  const counts: Record<string, number> = {};
  for (const model of Object.values(Prisma.ModelName)) {
    // A memo of derived state (each host's last readiness, for HOST_READINESS_CHANGED), written by a
    // background sweep at any time, not by calls.
    if (model === "HostReadinessSeen") continue;
    counts[model] = await prisma[model[0]!.toLowerCase() + model.slice(1)]!.count();
  }
  return counts;
}

const audits = () => api.server.app.db.prisma.auditEntry.count({ where: { kind: "MUTATION" } });
const latestAudit = () => api.server.app.db.prisma.auditEntry.findFirst({ orderBy: { id: "desc" } });

function clientFor(principal: PrincipalName): Client {
  const client = wsConnect(api.url, secrets[principal]);
  clients.push(client);
  return client;
}

/**
 * Sends `op` once. Over WebSocket every refusal, query and mutation answers, so the wait is only a
 * safety net (a loaded machine may take seconds); an allowed subscription that has nothing to say yet
 * is left after a short wait (`quietMs`), since silence is the right answer there.
 */
async function send(
  transport: "http" | "ws",
  op: RootOperation,
  token: string | null,
  client?: Client,
  quietMs?: number,
) {
  if (transport === "http") return httpOnce(api.url, op.document, token, op.root === "Subscription");
  return wsOnce(client!, op.document, quietMs ?? 60_000);
}

describe("root-field walk", () => {
  it("has a reviewed role for every root field of schema.graphql", () => {
    const missing = operations.filter((op) => !accessOf(op)).map((op) => `${op.root}.${op.field}`);
    expect(missing, "add these fields to test/security/roles.ts with their reviewed role").toEqual([]);
    expect(operations.length).toBeGreaterThan(10);
  });

  for (const transport of ["http", "ws"] as const) {
    it(`${transport}: no token and too-low roles are refused, with no side effect but the audit entry`, async () => {
      const before = await tableCounts();
      const problems: string[] = [];
      let deniedMutations = 0;
      const wsClients = Object.fromEntries(
        PRINCIPALS.map((p) => [p, transport === "ws" ? clientFor(p) : undefined]),
      );
      for (const op of operations) {
        const access = accessOf(op);
        if (!access) continue;
        // No token: UNAUTHENTICATED (HTTP 401), or the WebSocket refused at connection_init (4401).
        const auditBefore = await audits();
        let answer: Answer;
        if (transport === "http") {
          answer = await send("http", op, null);
          if (
            !(
              codes(answer).includes("UNAUTHENTICATED") &&
              (op.root === "Subscription" || answer.status === 401)
            )
          ) {
            problems.push(`${op.field} without token: ${answer.status} ${JSON.stringify(answer.errors)}`);
          }
        } else {
          const anonymous = wsConnect(api.url, null);
          answer = await wsOnce(anonymous, op.document);
          await anonymous.dispose();
          if (answer.closeCode !== 4401)
            problems.push(`${op.field} without token over ws: ${JSON.stringify(answer)}`);
        }
        const expectedNoToken = op.root === "Mutation" && transport === "http" ? 1 : 0;
        deniedMutations += expectedNoToken;
        if ((await audits()) - auditBefore !== expectedNoToken) {
          problems.push(`${op.field} without token: audit entries +${(await audits()) - auditBefore}`);
        } else if (expectedNoToken) {
          const entry = await latestAudit();
          if (
            entry?.operation !== op.field ||
            entry.outcome !== "DENIED" ||
            entry.errorCode !== "UNAUTHENTICATED"
          )
            problems.push(
              `${op.field} without token: audit ${JSON.stringify(entry, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
            );
        }
        // Each principal below the field's role: FORBIDDEN.
        for (const principal of PRINCIPALS.filter((p) => !allowed(access, p))) {
          const count = await audits();
          answer = await send(transport, op, secrets[principal], wsClients[principal]);
          if (!codes(answer).includes("FORBIDDEN")) {
            problems.push(
              `${op.field} as ${principal} over ${transport}: ${JSON.stringify(answer).slice(0, 300)}`,
            );
          }
          if (op.root === "Mutation") {
            deniedMutations += 1;
            const entry = await latestAudit();
            if (
              (await audits()) - count !== 1 ||
              entry?.operation !== op.field ||
              entry.outcome !== "DENIED"
            ) {
              problems.push(
                `${op.field} as ${principal}: audit +${(await audits()) - count}, last ${entry?.operation}/${entry?.outcome}`,
              );
            }
          } else if ((await audits()) !== count) {
            problems.push(`${op.field} as ${principal}: a read was audited`);
          }
        }
      }
      expect(problems).toEqual([]);
      const after = await tableCounts();
      expect(after).toEqual({ ...before, AuditEntry: before.AuditEntry! + deniedMutations });
    });

    it(`${transport}: allowed roles are never refused, and each mutation call is audited once`, async () => {
      const problems: string[] = [];
      const wsClients = Object.fromEntries(
        PRINCIPALS.map((p) => [p, transport === "ws" ? clientFor(p) : undefined]),
      );
      const refusedIn = (answer: Answer, op: RootOperation, principal: PrincipalName) => {
        const refused = codes(answer).filter((c) => c === "FORBIDDEN" || c === "UNAUTHENTICATED");
        if (refused.length || answer.closeCode !== undefined) {
          problems.push(
            `${op.field} as ${principal} over ${transport}: ${JSON.stringify(answer).slice(0, 300)}`,
          );
        }
      };
      const subscriptions: { op: RootOperation; principal: PrincipalName }[] = [];
      for (const op of operations) {
        const access = accessOf(op);
        if (!access) continue;
        // Allowed subscriptions are checked over WebSocket only (an HTTP event stream stays open).
        if (op.root === "Subscription" && transport === "http") continue;
        for (const principal of PRINCIPALS.filter((p) => allowed(access, p))) {
          if (op.root === "Subscription") {
            subscriptions.push({ op, principal });
            continue;
          }
          const count = await audits();
          const answer = await send(transport, op, secrets[principal], wsClients[principal]);
          refusedIn(answer, op, principal);
          const added = (await audits()) - count;
          // Agent telemetry is audited only when it fails, at most once a minute (audit/service.ts).
          if (
            op.root === "Mutation" && TELEMETRY_OPERATIONS.has(op.field)
              ? added > 1
              : added !== (op.root === "Mutation" ? 1 : 0)
          )
            problems.push(`${op.field} as ${principal}: audit +${added}`);
        }
      }
      if (subscriptions.length > 0) {
        // Every allowed subscription at once, each on its principal's socket: a refusal would answer, an
        // accepted subscription with nothing to say yet stays silent, so each is left after the same
        // quiet time, waited once for all of them (one after another, 1 s each, this was ~19 s of
        // waiting). None is audited: the audit count is unchanged across the lot.
        const count = await audits();
        const answers = await Promise.all(
          subscriptions.map(({ op, principal }) =>
            send(transport, op, secrets[principal], wsClients[principal], 3000),
          ),
        );
        for (const [i, { op, principal }] of subscriptions.entries()) refusedIn(answers[i]!, op, principal);
        const added = (await audits()) - count;
        if (added !== 0) problems.push(`allowed subscriptions: audit +${added}`);
      }
      expect(problems).toEqual([]);
    });
  }
});
