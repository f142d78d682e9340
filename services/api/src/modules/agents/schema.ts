// The agent-facing part of the API (role AGENT only): enrollment, inventory reports, command
// results, and the command subscription. Ordinary clients never see these work.
import { COMMAND_EXPECTS, commandDeadline, commandType } from "@ferry/protocol";
import { encodeGlobalID } from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import { builder } from "../../builder.ts";
import type { Context } from "../../context.ts";
import type { AgentCommand } from "../../generated/prisma/client.ts";
import { enrollAgent, validateHostName } from "../auth/service.ts";
import { forbidden } from "../shared/errors.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { completeCommand } from "./commands.ts";
import { type IngestResult, ingestInventory } from "./inventory.ts";
import { holdSession, markConnected, markDisconnected } from "./presence.ts";
import { commandStream, replaceOlderSessions, type StreamItem } from "./stream.ts";

function agentOf(ctx: Context) {
  if (ctx.principal?.kind !== "agent") throw forbidden("agent credential required");
  return ctx.principal;
}

const AgentCommandType = builder.objectRef<AgentCommand>("AgentCommand").implement({
  description: "Work for an agent. Answer with agentCommandResult; a redelivered id must not be run twice.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "Command id (idempotency key for the agent)." }),
    type: t.exposeString("type", { description: "What to do, e.g. REFRESH_INVENTORY." }),
    payload: t.field({ type: "JSON", description: "Parameters of the command.", resolve: (c) => c.payload }),
    migrationId: t.exposeString("migrationId", {
      nullable: true,
      description: "The migration this command belongs to.",
    }),
    requestId: t.exposeString("requestId", {
      nullable: true,
      description:
        "The id of the API request that caused the command (its X-Request-Id, or the one the API generated; for a queued move, the request that queued it); the agent logs it with the command. Null for Ferry's own work.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the command was issued." }),
    expiresAt: t.field({
      type: "DateTime",
      description:
        "The deadline: an agent that has not started the command by then refuses it (answers FAILED COMMAND_EXPIRED), so nothing runs long after it was asked for.",
      resolve: (c) => commandDeadline(c.type, c.createdAt),
    }),
    expects: t.stringList({
      nullable: true,
      description:
        "The premise: the states the command's migration must be in (START_MOVE: STARTING, which the agent claims with agentClaimMigration before calling Hyper-V); null when none.",
      resolve: (c) => {
        const type = commandType.safeParse(c.type);
        const expects = type.success ? COMMAND_EXPECTS[type.data] : undefined;
        return expects ? [...expects] : null;
      },
    }),
  }),
});

const EnrollAgentInput = builder.inputType("EnrollAgentInput", {
  description: "Sent by a new agent with its enrollment token as bearer.",
  fields: (t) => ({
    hostName: t.string({ required: true, description: "The host's name; must match the enrollment." }),
  }),
});

const EnrollAgentPayload = payloadType<{ credential: string; host: { id: string } }>(
  "EnrollAgentPayload",
  "The agent's own credential (shown once) and its host.",
  (t) => ({
    credential: t.string({
      nullable: true,
      description: "Bearer secret for all later calls; store it safely.",
      resolve: (p) => p.data?.credential ?? null,
    }),
    hostId: t.id({
      nullable: true,
      description: "Global id of the host the credential is bound to.",
      resolve: (p) => (p.data ? encodeGlobalID("Host", p.data.host.id) : null),
    }),
  }),
);

builder.mutationField("enrollAgent", (t) =>
  t.field({
    type: EnrollAgentPayload,
    description: "Exchanges a single-use enrollment token (as bearer) for the agent's credential.",
    authScopes: { enrollment: true },
    args: { input: t.arg({ type: EnrollAgentInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { operation: "enrollAgent", target: input.hostName, input }, async (audit) => {
        const p = ctx.principal;
        if (p?.kind !== "enrollment") throw forbidden("enrollment token required");
        validateHostName(input.hostName, "input.hostName");
        return enrollAgent(ctx.app, p.enrollmentId, input.hostName, audit);
      }),
  }),
);

const AgentReportInventoryInput = builder.inputType("AgentReportInventoryInput", {
  description: "A full inventory of the agent's own host.",
  fields: (t) => ({
    inventory: t.field({
      type: "JSON",
      required: true,
      description: "Inventory document (agent protocol v1).",
    }),
    agentVersion: t.string({ required: true, description: "Agent version." }),
    backend: t.string({ required: true, description: "simulator or powershell." }),
  }),
});

const AgentReportInventoryPayload = payloadType<IngestResult>(
  "AgentReportInventoryPayload",
  "Result of an inventory report.",
  (t) => ({
    changed: t.boolean({
      nullable: true,
      description: "False when the report matched the stored inventory.",
      resolve: (p) => p.data?.changed ?? null,
    }),
    conflictingVmIds: t.stringList({
      nullable: true,
      description:
        "Reported VMs (Hyper-V VMId) that Ferry records on another host: not applied. A VM comes to this host through its migration's outcome, or once the other host no longer reports it.",
      resolve: (p) => p.data?.conflicts.map((c) => c.vmId) ?? null,
    }),
  }),
);

builder.mutationField("agentReportInventory", (t) =>
  t.field({
    type: AgentReportInventoryPayload,
    description: "Agent only: replaces the stored inventory of the agent's own host.",
    authScopes: { agent: true },
    args: { input: t.arg({ type: AgentReportInventoryInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const agent = agentOf(ctx);
      return runMutation(ctx, { operation: "agentReportInventory", target: agent.hostName }, async () => {
        const result = await ingestInventory(ctx.app, agent.hostId, agent.hostName, input.inventory, {
          version: input.agentVersion,
          backend: input.backend,
        });
        // Announced only when more than telemetry changed (CPU, uptime and memory change on every read).
        if (result.significant) ctx.app.pubsub.publish("hostChanged", { hostId: agent.hostId });
        return result;
      });
    },
  }),
);

const AgentCommandResultInput = builder.inputType("AgentCommandResultInput", {
  description: "An agent's answer to a command.",
  fields: (t) => ({
    commandId: t.id({ required: true, description: "AgentCommand.id." }),
    succeeded: t.boolean({ required: true, description: "Whether the command did what it asked." }),
    result: t.field({ type: "JSON", description: "Command-specific result." }),
    errorCode: t.string({ description: "Typed Hyper-V error code when it failed." }),
    errorMessage: t.string({ description: "Hyper-V's message when it failed." }),
  }),
});

const AgentCommandResultPayload = payloadType<AgentCommand>(
  "AgentCommandResultPayload",
  "The command as recorded.",
  (t) => ({
    status: t.string({
      nullable: true,
      description: "SUCCEEDED or FAILED.",
      resolve: (p) => p.data?.status ?? null,
    }),
  }),
);

builder.mutationField("agentCommandResult", (t) =>
  t.field({
    type: AgentCommandResultPayload,
    description: "Agent only: answers a command of the agent's own host. Repeating an answer is harmless.",
    authScopes: { agent: true },
    args: { input: t.arg({ type: AgentCommandResultInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const agent = agentOf(ctx);
      return runMutation(
        ctx,
        { operation: "agentCommandResult", target: String(input.commandId), input },
        (audit) =>
          completeCommand(
            ctx.app,
            agent.hostId,
            {
              commandId: String(input.commandId),
              succeeded: input.succeeded,
              result: input.result ?? null,
              errorCode: input.errorCode ?? null,
              errorMessage: input.errorMessage ?? null,
            },
            audit,
          ),
      );
    },
  }),
);

builder.subscriptionField("agentCommands", (t) =>
  t.field({
    type: AgentCommandType,
    description:
      "Agent only: the commands for the agent's own host; unanswered ones are sent again on every connect. One live session per agent credential: a newer subscription replaces an older one, which then ends with an error of code SESSION_REPLACED (the replaced agent must stop, not subscribe again).",
    authScopes: { agent: true },
    subscribe: (_root, _args, ctx) => agentSession(ctx),
    resolve: (item) => {
      if ("replaced" in item) {
        throw new GraphQLError("another session with this agent's credential took over", {
          extensions: { code: "SESSION_REPLACED" },
        });
      }
      return item;
    },
  }),
);

/**
 * Marks the host connected for the lifetime of the subscription and streams its commands. The
 * iterator's return() aborts first: an async generator waiting inside `await` would otherwise
 * queue return() until the next command arrives, and the disconnect would go unnoticed.
 */
function agentSession(ctx: Context): AsyncIterableIterator<StreamItem> {
  const agent = agentOf(ctx);
  const abort = new AbortController();
  async function* run(): AsyncGenerator<StreamItem> {
    const session = await markConnected(ctx.app, agent.hostId);
    replaceOlderSessions(ctx.app, agent.hostId, session);
    const release = holdSession(ctx.app, session);
    const disconnects = ctx.app.pubsub.subscribe("agentDisconnect", agent.hostId)[Symbol.asyncIterator]();
    void disconnects.next().then((r) => !r.done && abort.abort());
    try {
      yield* commandStream(ctx.app, agent.hostId, session, abort.signal);
    } finally {
      release();
      abort.abort();
      await disconnects.return?.();
      await markDisconnected(ctx.app, agent.hostId, session);
    }
  }
  const inner = run();
  return {
    next: () => inner.next(),
    return: (value?: unknown) => {
      abort.abort();
      return inner.return(value as undefined);
    },
    throw: (error?: unknown) => {
      abort.abort();
      return inner.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
