// Commands for agents: written to the database first, then announced on the host's pubsub topic.
// An agent that (re)connects is sent every command it has not answered; answers are idempotent.
import type { App } from "../../context.ts";
import type { AgentCommand, Prisma } from "../../generated/prisma/client.ts";
import { recordCommandOutcome } from "../audit/service.ts";
import { NotFoundError } from "../shared/errors.ts";
import { isUuid } from "../shared/ids.ts";

/** A command type the agent knows (services/agent/src/runner/handlers/), e.g. REFRESH_INVENTORY. */
export type CommandType = string;

export interface IssueCommandInput {
  hostId: string;
  type: CommandType;
  payload: Prisma.InputJsonValue;
  requestedBy: string;
  migrationId?: string | null;
}

export async function issueCommand(app: App, input: IssueCommandInput): Promise<AgentCommand> {
  const command = await app.db.prisma.agentCommand.create({
    data: {
      hostId: input.hostId,
      type: input.type,
      payload: input.payload,
      requestedBy: input.requestedBy,
      migrationId: input.migrationId ?? null,
    },
  });
  app.pubsub.publish("agentCommand", input.hostId, { commandId: command.id });
  return command;
}

export interface CommandResultInput {
  commandId: string;
  succeeded: boolean;
  result: Prisma.InputJsonValue | null;
  errorCode: string | null;
  errorMessage: string | null;
}

type CompletionListener = (app: App, command: AgentCommand) => Promise<void>;
const listeners = new Map<string, CompletionListener[]>();

/** Lets a domain react when an agent answers one of its commands (e.g. refresh inventory after a change). */
export function onCommandCompleted(type: string, listener: CompletionListener): void {
  listeners.set(type, [...(listeners.get(type) ?? []), listener]);
}

/**
 * Records an agent's answer. A repeated answer (after a reconnect) is accepted and changes nothing;
 * a command of another host is NotFound, so an agent cannot touch other hosts' work.
 */
export async function completeCommand(
  app: App,
  hostId: string,
  input: CommandResultInput,
): Promise<AgentCommand> {
  const prisma = app.db.prisma;
  if (!isUuid(input.commandId)) throw new NotFoundError("command", input.commandId);
  const updated = await prisma.agentCommand.updateMany({
    where: { id: input.commandId, hostId, status: { in: ["PENDING", "DELIVERED"] } },
    data: {
      status: input.succeeded ? "SUCCEEDED" : "FAILED",
      result: input.result ?? undefined,
      errorCode: input.errorCode,
      errorMessage: input.errorMessage,
      completedAt: new Date(),
    },
  });
  const command = await prisma.agentCommand.findFirst({ where: { id: input.commandId, hostId } });
  if (!command) throw new NotFoundError("command", input.commandId);
  if (updated.count === 1) {
    await recordCommandOutcome(app, command);
    app.pubsub.publish("commandCompleted", command.id, { status: command.status });
    for (const listener of listeners.get(command.type) ?? []) await listener(app, command);
  }
  return command;
}

/**
 * The command stream of one host: first everything unanswered, then each new command as announced.
 * Subscribes before reading the backlog so nothing issued in between is missed; ids are deduplicated.
 */
export async function* commandStream(
  app: App,
  hostId: string,
  signal: AbortSignal,
): AsyncGenerator<AgentCommand> {
  const announcements = app.pubsub.subscribe("agentCommand", hostId)[Symbol.asyncIterator]();
  const onAbort = () => void announcements.return?.();
  signal.addEventListener("abort", onAbort, { once: true });
  const sent = new Set<string>();
  const prisma = app.db.prisma;
  const deliver = async (command: AgentCommand) => {
    sent.add(command.id);
    if (command.status === "PENDING") {
      await prisma.agentCommand.updateMany({
        where: { id: command.id, status: "PENDING" },
        data: { status: "DELIVERED", deliveredAt: new Date() },
      });
    }
    return command;
  };
  try {
    const backlog = await prisma.agentCommand.findMany({
      where: { hostId, status: { in: ["PENDING", "DELIVERED"] } },
      orderBy: { createdAt: "asc" },
    });
    for (const command of backlog) yield await deliver(command);
    while (!signal.aborted) {
      const next = await announcements.next();
      if (next.done) return;
      if (sent.has(next.value.commandId)) continue;
      const command = await prisma.agentCommand.findFirst({
        where: { id: next.value.commandId, hostId, status: { in: ["PENDING", "DELIVERED"] } },
      });
      if (command) yield await deliver(command);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    await announcements.return?.();
  }
}

/**
 * Waits for an agent's answer to a command, up to `timeoutMs`; null when it did not come in time.
 * Reads the database (the source of truth) and uses the pubsub hint only to wake up early.
 */
export async function awaitCommand(
  app: App,
  commandId: string,
  timeoutMs: number,
): Promise<AgentCommand | null> {
  const hints = app.pubsub.subscribe("commandCompleted", commandId)[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  try {
    while (true) {
      const command = await app.db.prisma.agentCommand.findUnique({ where: { id: commandId } });
      if (command && (command.status === "SUCCEEDED" || command.status === "FAILED")) return command;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([hints.next(), new Promise((r) => (timer = setTimeout(r, Math.min(left, 500))))]);
      clearTimeout(timer);
    }
  } finally {
    await hints.return?.();
  }
}
