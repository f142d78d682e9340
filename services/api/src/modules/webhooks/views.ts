// The `data` of each event: the object as the API returns it (same field names, global ids, ISO
// dates, related objects as { id }), taken inside the transaction of the change, so a delivery sent
// hours later still tells the state it reports. test/observability/webhooks.test.ts compares
// migrationView with the API's answer for the same migration.
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { Migration, Prisma } from "../../generated/prisma/client.ts";
import { nodeRef, type OutboxEvent } from "./outbox.ts";

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The GraphQL selection migrationView answers (for tests and the README). */
export const MIGRATION_VIEW_FIELDS = `id kind state vmName sourceHost { id } destinationHost { id }
  destinationStoragePath vhdMoves { sourcePath destinationPath } percentComplete requestedBy requestedAt
  startedAt finishedAt durationSeconds failure { code message eventId diagnosis remedy }`;

export function migrationView(m: Migration) {
  return {
    id: encodeGlobalID("Migration", m.id),
    kind: m.kind,
    state: m.state,
    vmName: m.vmName,
    sourceHost: nodeRef("Host", m.sourceHostId),
    destinationHost: nodeRef("Host", m.destinationHostId),
    destinationStoragePath: m.destinationStoragePath,
    vhdMoves: (m.vhdMoves ?? []) as { sourcePath: string; destinationPath: string }[],
    percentComplete: m.percentComplete,
    requestedBy: m.requestedBy,
    requestedAt: iso(m.requestedAt),
    startedAt: iso(m.startedAt),
    finishedAt: iso(m.finishedAt),
    durationSeconds: m.startedAt
      ? ((m.finishedAt ?? new Date()).getTime() - m.startedAt.getTime()) / 1000
      : null,
    failure:
      m.state === "FAILED"
        ? {
            code: m.failureCode ?? "UNKNOWN",
            message: m.failureMessage ?? "",
            eventId: m.failureEventId,
            diagnosis: m.failureDiagnosis ?? "",
            remedy: m.failureRemedy ?? "",
          }
        : null,
  };
}

export function migrationEvent(m: Migration): OutboxEvent {
  return {
    type: "MIGRATION_STATE_CHANGED",
    subjectId: encodeGlobalID("Migration", m.id),
    data: migrationView(m) as unknown as Prisma.InputJsonValue,
  };
}

/** What AGENT_CONNECTED / AGENT_LOST read of the host (select it in the transaction). */
export const AGENT_VIEW_SELECT = {
  id: true,
  name: true,
  agentConnected: true,
  agentLastSeenAt: true,
  agentVersion: true,
  agentBackend: true,
  inventoryReportedAt: true,
} satisfies Prisma.HostSelect;

export type AgentRow = Prisma.HostGetPayload<{ select: typeof AGENT_VIEW_SELECT }>;

/** The Host with its `agent` (AgentStatus) as the API returns them. */
export function agentEvent(type: "AGENT_CONNECTED" | "AGENT_LOST", h: AgentRow): OutboxEvent {
  const id = encodeGlobalID("Host", h.id);
  return {
    type,
    subjectId: id,
    data: {
      id,
      name: h.name,
      agent: {
        connected: type === "AGENT_CONNECTED",
        lastSeenAt: iso(h.agentLastSeenAt),
        version: h.agentVersion,
        backend: h.agentBackend,
        inventoryReportedAt: iso(h.inventoryReportedAt),
      },
    },
  };
}

/** HOST_DRIFT_CHANGED: the Host's id, name and drift (DriftItem list) as the API returns them. */
export function driftEvent(host: { id: string; name: string }, drift: unknown[]): OutboxEvent {
  const id = encodeGlobalID("Host", host.id);
  return {
    type: "HOST_DRIFT_CHANGED",
    subjectId: id,
    data: { id, name: host.name, drift: drift as Prisma.InputJsonValue[] },
  };
}

/** HOST_READINESS_CHANGED: the Host's id, name, readiness checks, and `ready` (no check FAILs). */
export function readinessEvent(
  host: { id: string; name: string },
  checks: { name: string; status: string; message: string; remedy: string | null }[],
): OutboxEvent {
  const id = encodeGlobalID("Host", host.id);
  return {
    type: "HOST_READINESS_CHANGED",
    subjectId: id,
    data: { id, name: host.name, ready: checks.every((c) => c.status !== "FAIL"), readiness: checks },
  };
}
