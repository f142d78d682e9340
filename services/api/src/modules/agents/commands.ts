// Commands for agents: a fenced, expiring outbox. Written to the database first, then announced on
// the host's pubsub topic (a hint); stream.ts delivers from the database. Command states change only
// through transitionCommand (PENDING -> DELIVERED -> SUCCEEDED | FAILED, PENDING | DELIVERED -> EXPIRED).
import {
  type CommandPayload,
  type CommandType,
  commandOf,
  commandType,
  failureResultSchema,
  parseCommandResult,
} from "@ferry/protocol";
import type { App } from "../../context.ts";
import type { AgentCommand, Prisma } from "../../generated/prisma/client.ts";
import { type AuditIn, recordCommandOutcomeIn } from "../audit/service.ts";
import { NotFoundError } from "../shared/errors.ts";
import { isUuid } from "../shared/ids.ts";
import { currentRequestId } from "../shared/request-scope.ts";

export type { CommandType } from "@ferry/protocol";

type CommandStatus = AgentCommand["status"];

/**
 * The command state machine: which states each state may be entered from. A command nobody received
 * before its deadline, or whose migration ended, becomes EXPIRED (errorCode COMMAND_EXPIRED) and is
 * never sent again.
 */
export const COMMAND_TRANSITIONS: Record<CommandStatus, readonly CommandStatus[]> = {
  PENDING: [],
  DELIVERED: ["PENDING"],
  SUCCEEDED: ["PENDING", "DELIVERED"],
  FAILED: ["PENDING", "DELIVERED"],
  /** Its migration ended first (migrations/machine.ts expires them in the ending transaction). */
  EXPIRED: ["PENDING", "DELIVERED"],
};

type Db = Pick<App["db"]["prisma"], "agentCommand">;

/**
 * The one guarded write of a command's state: applies `to` only if the command is in a state the
 * table allows it from (and matches `where`). Returns whether this call made the change.
 */
export async function transitionCommand(
  db: Db,
  id: string,
  to: Exclude<CommandStatus, "PENDING">,
  data: Omit<Prisma.AgentCommandUpdateManyMutationInput, "status"> = {},
  where: Prisma.AgentCommandWhereInput = {},
): Promise<boolean> {
  const { count } = await db.agentCommand.updateMany({
    where: { ...where, id, status: { in: [...COMMAND_TRANSITIONS[to]] } },
    data: { ...data, status: to },
  });
  return count === 1;
}

export interface IssueCommandInput<T extends CommandType> {
  hostId: string;
  /** A command type of the protocol (@ferry/protocol COMMANDS). */
  type: T;
  /** Checked against the protocol's payload schema of `type` before anything is written. */
  payload: CommandPayload<T>;
  requestedBy: string;
  migrationId?: string | null;
  /** The request the command belongs to; default: the request executing now (none in workers). */
  requestId?: string | null;
}

/** JSON for a Prisma Json column (the protocol's values are plain JSON). */
export function toJson(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(JSON.stringify(value));
}

/** The row of a new command, for callers that create it inside their own transaction. */
export function commandCreateData<T extends CommandType>(input: IssueCommandInput<T>) {
  const body = commandOf(input.type, input.payload);
  return {
    hostId: input.hostId,
    type: body.type,
    payload: toJson(body.payload),
    requestedBy: input.requestedBy,
    migrationId: input.migrationId ?? null,
    requestId: input.requestId !== undefined ? input.requestId : currentRequestId(),
  } satisfies Prisma.AgentCommandUncheckedCreateInput;
}

export async function issueCommand<T extends CommandType>(
  app: App,
  input: IssueCommandInput<T>,
): Promise<AgentCommand> {
  const command = await app.db.prisma.agentCommand.create({ data: commandCreateData(input) });
  app.pubsub.publish("agentCommand", input.hostId, { commandId: command.id });
  return command;
}

export interface CommandResultInput {
  commandId: string;
  succeeded: boolean;
  /** The agent's result; checked against the protocol's result schema of the command's type. */
  result: unknown;
  errorCode: string | null;
  errorMessage: string | null;
}

/**
 * What is stored for an answer: a success whose result does not match the protocol is recorded as
 * FAILED (INVALID_RESULT), so no reader ever sees a result of the wrong shape.
 */
function outcomeOf(type: string, input: CommandResultInput) {
  const kind = commandType.safeParse(type);
  if (!input.succeeded) {
    const failure = failureResultSchema.safeParse(input.result);
    return {
      status: "FAILED" as const,
      result: failure.success && failure.data ? toJson(failure.data) : undefined,
      errorCode: input.errorCode ?? "UNKNOWN",
      errorMessage: input.errorMessage,
    };
  }
  const result = kind.success ? parseCommandResult(kind.data, input.result) : null;
  if (result === null) {
    return {
      status: "FAILED" as const,
      result: undefined,
      errorCode: "INVALID_RESULT",
      errorMessage: `the agent's result for ${type} does not match the protocol`,
    };
  }
  return { status: "SUCCEEDED" as const, result: toJson(result), errorCode: null, errorMessage: null };
}

type CompletionListener = (app: App, command: AgentCommand) => Promise<void>;

/**
 * Lets a domain react when an agent answers one of its commands of `type` (first answer only), on this
 * App. Called from a domain's register...Reactions(app), which the composition root (app.ts) calls.
 */
export function onCommandCompleted(app: App, type: CommandType, listener: CompletionListener): () => void {
  return app.hooks.on("commandCompleted", (a, command) =>
    command.type === type ? listener(a, command) : undefined,
  );
}

/**
 * Records an agent's answer: the command's outcome, its COMMAND audit entry and the agent call's own
 * entry (`audit`) commit together. A repeated answer (after a reconnect) is accepted and changes
 * nothing; a command of another host is NotFound, so an agent cannot touch other hosts' work.
 */
export async function completeCommand(
  app: App,
  hostId: string,
  input: CommandResultInput,
  audit?: AuditIn,
): Promise<AgentCommand> {
  if (!isUuid(input.commandId)) throw new NotFoundError("command", input.commandId);
  const { command, changed } = await app.db.prisma.$transaction(async (tx) => {
    const before = await tx.agentCommand.findFirst({
      where: { id: input.commandId, hostId },
      select: { type: true },
    });
    if (!before) throw new NotFoundError("command", input.commandId);
    const { status, ...outcome } = outcomeOf(before.type, input);
    const changed = await transitionCommand(
      tx,
      input.commandId,
      status,
      { ...outcome, completedAt: new Date() },
      { hostId },
    );
    const command = await tx.agentCommand.findFirstOrThrow({ where: { id: input.commandId, hostId } });
    if (changed) await recordCommandOutcomeIn(tx, command);
    await audit?.(tx);
    return { command, changed };
  });
  if (changed) {
    app.logger.info(
      {
        requestId: command.requestId,
        commandId: command.id,
        type: command.type,
        hostId: command.hostId,
        migrationId: command.migrationId,
        status: command.status,
        errorCode: command.errorCode,
      },
      "agent command answered",
    );
    app.pubsub.publish("commandCompleted", command.id, { status: command.status });
    await app.hooks.emit("commandCompleted", app, command);
  }
  return command;
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
      if (command && command.status !== "PENDING" && command.status !== "DELIVERED") return command;
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
