// Agent commands as one discriminated union on `type`: each type has its payload schema (what the
// API sends) and its result schema (what the agent answers). The API builds payloads with
// `commandOf`, the agent parses what it received with `parseCommand`; neither side casts.
import { z } from "zod";
import { agentErrorCode } from "./hyperv.ts";
import {
  AUTHENTICATION_TYPES,
  migrationNetworkSchema,
  migrationSettingsSchema,
  PERFORMANCE_OPTIONS,
  VM_STATES,
} from "./inventory.ts";

const id = z.string().min(1).max(64);
const path = z.string().min(1).max(4096);
const hostName = z.string().min(1).max(255);
const empty = z.object({});

export const MOVE_KINDS = ["LIVE", "LIVE_WITH_STORAGE", "STORAGE"] as const;
export type MoveKind = (typeof MOVE_KINDS)[number];

export const vhdMoveSchema = z.object({ sourcePath: path, destinationPath: path });

const startMove = z.object({
  migrationId: id,
  kind: z.enum(MOVE_KINDS),
  vmId: id,
  /** Required unless kind is STORAGE. */
  destinationHost: hostName.nullable(),
  includeStorage: z.boolean(),
  destinationStoragePath: path.nullable(),
  vhds: z.array(vhdMoveSchema).max(256),
});

const settingsChange = z.object({
  authenticationType: z.enum(AUTHENTICATION_TYPES).optional(),
  performanceOption: z.enum(PERFORMANCE_OPTIONS).optional(),
  maximumVirtualMachineMigrations: z.number().int().min(0).max(4096).optional(),
  maximumStorageMigrations: z.number().int().min(0).max(4096).optional(),
  useAnyNetworkForMigration: z.boolean().optional(),
});

const settingsResult = z.object({ settings: migrationSettingsSchema });

/** What SAVE_VM / STOP_VM answer: the VM's state afterwards; `changed` false when it already was Saved/Off. */
const powerResult = z.object({ vmId: id, state: z.enum(VM_STATES), changed: z.boolean() });

/** Payload and result schema of every command type the agent runs. */
export const COMMANDS = {
  /** Move-VM / Move-VMStorage as a job on the source host, after winning the STARTING->RUNNING claim. */
  START_MOVE: {
    payload: startMove,
    /** `adopted`: the agent found the move already started (or finished) by its previous run. */
    result: z.object({ jobId: z.string().nullable(), adopted: z.boolean().optional() }),
  },
  /** Stop-Job of the move's Hyper-V job. `requested` false: this agent has no such job. */
  CANCEL_MOVE: { payload: z.object({ migrationId: id }), result: z.object({ requested: z.boolean() }) },
  /**
   * Asked when a running move has been quiet: does the agent follow its Hyper-V job? The payload is
   * the move's START_MOVE payload, so an agent that lost track of it adopts a job Hyper-V runs (or a
   * move Hyper-V finished) and reports it. `following` false: no job here, Hyper-V runs none and the
   * VM did not move; the API then reconciles the migration. Never starts anything.
   */
  JOB_STATUS: {
    payload: startMove,
    result: z.object({ following: z.boolean(), jobId: z.string().nullable() }),
  },
  /** Compare-VM against the destination. */
  COMPARE_VM: {
    payload: z.object({ vmId: id, destinationHost: hostName }),
    result: z.object({
      issues: z.array(
        z.object({
          message: z.string(),
          messageId: z.number().int(),
          source: z.string().nullable().optional(),
        }),
      ),
    }),
  },
  /** Report the inventory now. */
  REFRESH_INVENTORY: { payload: empty, result: empty },
  /** Enable-VMMigration. */
  ENABLE_MIGRATION: { payload: empty, result: settingsResult },
  /** Disable-VMMigration. */
  DISABLE_MIGRATION: { payload: empty, result: settingsResult },
  /** Add-VMMigrationNetwork (an existing subnet gets the requested priority instead). */
  ADD_MIGRATION_NETWORK: {
    payload: migrationNetworkSchema,
    result: settingsResult.extend({ added: z.boolean() }),
  },
  /** Remove-VMMigrationNetwork. */
  REMOVE_MIGRATION_NETWORK: {
    payload: z.object({ subnet: z.string().min(1).max(64) }),
    result: settingsResult,
  },
  /** Set-VMHost with the given settings only. */
  SET_MIGRATION_SETTINGS: { payload: settingsChange, result: settingsResult },
  /** Converge to a profile: only the keys present are managed. */
  APPLY_MIGRATION_SETTINGS: {
    payload: settingsChange.extend({
      enabled: z.boolean().optional(),
      networks: z.array(migrationNetworkSchema).max(256).optional(),
    }),
    result: settingsResult.extend({ changes: z.array(z.string()) }),
  },
  /** Set-VMProcessor -CompatibilityForMigrationEnabled. */
  SET_PROCESSOR_COMPATIBILITY: {
    payload: z.object({ vmId: id, enabled: z.boolean() }),
    result: z.object({ vmId: id, processorCompatibilityForMigration: z.boolean() }),
  },
  /**
   * Save-VM (a maintenance's SAVE policy for a VM that cannot move): the VM's memory goes to disk and
   * it holds none on the host. A VM already Saved or Off is left as it is (changed false), so a command
   * run twice (an agent that died before answering) does nothing the second time.
   */
  SAVE_VM: { payload: z.object({ vmId: id }), result: powerResult },
  /**
   * Stop-VM without -Force or -TurnOff (a maintenance's SHUT_DOWN policy): the guest operating system
   * shuts down. A guest that does not answer (no shutdown integration service) is NOT turned off: the
   * command fails with SHUTDOWN_UNAVAILABLE and the VM keeps running. Off or Saved already: changed false.
   */
  STOP_VM: { payload: z.object({ vmId: id }), result: powerResult },
} as const;

type Commands = typeof COMMANDS;
export type CommandType = keyof Commands;
export const COMMAND_TYPES = Object.keys(COMMANDS) as CommandType[];
export const commandType = z.enum(COMMAND_TYPES as [CommandType, ...CommandType[]]);

export type CommandPayload<T extends CommandType> = z.infer<Commands[T]["payload"]>;
export type CommandResult<T extends CommandType> = z.infer<Commands[T]["result"]>;

/** The union of all command bodies, discriminated by `type` (commands.test.ts checks it lists every type). */
export const commandBodySchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("START_MOVE"), payload: COMMANDS.START_MOVE.payload }),
  z.object({ type: z.literal("CANCEL_MOVE"), payload: COMMANDS.CANCEL_MOVE.payload }),
  z.object({ type: z.literal("JOB_STATUS"), payload: COMMANDS.JOB_STATUS.payload }),
  z.object({ type: z.literal("COMPARE_VM"), payload: COMMANDS.COMPARE_VM.payload }),
  z.object({ type: z.literal("REFRESH_INVENTORY"), payload: COMMANDS.REFRESH_INVENTORY.payload }),
  z.object({ type: z.literal("ENABLE_MIGRATION"), payload: COMMANDS.ENABLE_MIGRATION.payload }),
  z.object({ type: z.literal("DISABLE_MIGRATION"), payload: COMMANDS.DISABLE_MIGRATION.payload }),
  z.object({ type: z.literal("ADD_MIGRATION_NETWORK"), payload: COMMANDS.ADD_MIGRATION_NETWORK.payload }),
  z.object({
    type: z.literal("REMOVE_MIGRATION_NETWORK"),
    payload: COMMANDS.REMOVE_MIGRATION_NETWORK.payload,
  }),
  z.object({ type: z.literal("SET_MIGRATION_SETTINGS"), payload: COMMANDS.SET_MIGRATION_SETTINGS.payload }),
  z.object({
    type: z.literal("APPLY_MIGRATION_SETTINGS"),
    payload: COMMANDS.APPLY_MIGRATION_SETTINGS.payload,
  }),
  z.object({
    type: z.literal("SET_PROCESSOR_COMPATIBILITY"),
    payload: COMMANDS.SET_PROCESSOR_COMPATIBILITY.payload,
  }),
  z.object({ type: z.literal("SAVE_VM"), payload: COMMANDS.SAVE_VM.payload }),
  z.object({ type: z.literal("STOP_VM"), payload: COMMANDS.STOP_VM.payload }),
]);

/** A command body: its type and that type's payload. */
export type CommandBody = z.infer<typeof commandBodySchema>;

/** Builds a command body, checking the payload (the API calls this before writing a command row). */
export function commandOf<T extends CommandType>(type: T, payload: CommandPayload<T>): CommandBody {
  return commandBodySchema.parse({ type, payload });
}

/** How a command reaches the agent (the agentCommands subscription's AgentCommand). */
export const commandEnvelopeSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  payload: z.unknown(),
  migrationId: z.string().nullable(),
  /** The API request that caused it (X-Request-Id), for the agent's log; null: Ferry's own work. */
  requestId: z.string().max(100).nullable().default(null),
  createdAt: z.string(),
  /** The agent refuses the command after this instant (ISO 8601); null: no deadline. */
  expiresAt: z.string().nullable().default(null),
  /** The states its migration must be in (the premise); null: none. */
  expects: z.array(z.string()).nullable().default(null),
});
export type CommandEnvelope = z.infer<typeof commandEnvelopeSchema>;

export type AgentCommand = Omit<CommandEnvelope, "type" | "payload"> & CommandBody;

export class CommandParseError extends Error {
  override readonly name = "CommandParseError";
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid";
}

/** Validates a received command; throws CommandParseError (unknown type, bad payload). */
export function parseCommand(raw: unknown): AgentCommand {
  const envelope = commandEnvelopeSchema.safeParse(raw);
  if (!envelope.success) throw new CommandParseError(`malformed command: ${firstIssue(envelope.error)}`);
  const body = commandBodySchema.safeParse({
    type: envelope.data.type,
    payload: envelope.data.payload ?? {},
  });
  if (!body.success) {
    if (!commandType.safeParse(envelope.data.type).success)
      throw new CommandParseError(`unknown command type ${envelope.data.type}`);
    throw new CommandParseError(`payload.${firstIssue(body.error).replace(/^payload\./, "")}`);
  }
  return { ...envelope.data, ...body.data };
}

/** Validates a command result of `type` (the API parses what an agent answered). */
export function parseCommandResult<T extends CommandType>(type: T, raw: unknown): CommandResult<T> | null {
  const parsed = COMMANDS[type].result.safeParse(raw);
  return parsed.success ? (parsed.data as CommandResult<T>) : null;
}

/** An agent's answer to a command (AgentCommandResultInput). */
export const commandAnswerSchema = z.object({
  commandId: z.string().min(1),
  succeeded: z.boolean(),
  result: z.unknown().nullable(),
  errorCode: z.union([agentErrorCode, z.string().max(64)]).nullable(),
  errorMessage: z.string().max(32_000).nullable(),
});
export type CommandAnswer = z.infer<typeof commandAnswerSchema>;

/** The result a failed command carries: the Hyper-V-VMMS-Admin event id, when there is one. */
export const failureResultSchema = z.object({ eventId: z.number().int().nullable().optional() }).nullable();

const MINUTE = 60_000;

/**
 * How long after it was issued a command may still be started. Past it the API stops sending a
 * command nobody received (EXPIRED) and an agent refuses one it has not started yet (COMMAND_EXPIRED):
 * a configuration change or a move nobody waits for any more must not happen hours later, when the
 * agent comes back. Generous against clock skew between the API and the host (the agent compares
 * the deadline with its own clock).
 */
export const COMMAND_TTL_MS: { [T in CommandType]: number } = {
  START_MOVE: 10 * MINUTE,
  CANCEL_MOVE: 60 * MINUTE,
  JOB_STATUS: 2 * MINUTE,
  COMPARE_VM: 2 * MINUTE,
  REFRESH_INVENTORY: 10 * MINUTE,
  ENABLE_MIGRATION: 30 * MINUTE,
  DISABLE_MIGRATION: 30 * MINUTE,
  ADD_MIGRATION_NETWORK: 30 * MINUTE,
  REMOVE_MIGRATION_NETWORK: 30 * MINUTE,
  SET_MIGRATION_SETTINGS: 30 * MINUTE,
  APPLY_MIGRATION_SETTINGS: 30 * MINUTE,
  SET_PROCESSOR_COMPATIBILITY: 30 * MINUTE,
  // A VM saved or shut down long after the maintenance asked (the agent was away) is not wanted.
  SAVE_VM: 10 * MINUTE,
  STOP_VM: 10 * MINUTE,
};

/** The deadline of a command of `type` issued at `createdAt` (unknown types: the longest TTL). */
export function commandDeadline(type: string, createdAt: Date): Date {
  const parsed = commandType.safeParse(type);
  const ttl = parsed.success ? COMMAND_TTL_MS[parsed.data] : Math.max(...Object.values(COMMAND_TTL_MS));
  return new Date(createdAt.getTime() + ttl);
}

/**
 * The premise of a migration command: the state its migration must be in for the command to make
 * sense. START_MOVE is run only after the agent won the migration's STARTING -> RUNNING claim;
 * CANCEL_MOVE is for a migration being cancelled. A command of an ended migration is never sent.
 */
export const COMMAND_EXPECTS: Partial<{ [T in CommandType]: readonly string[] }> = {
  START_MOVE: ["STARTING"],
  CANCEL_MOVE: ["CANCELLING"],
  JOB_STATUS: ["RUNNING", "CANCELLING"],
};

/** Whether an agent must refuse a command it has not started yet: its deadline has passed. */
export function isExpired(command: { expiresAt: string | null }, now = Date.now()): boolean {
  return command.expiresAt !== null && Date.parse(command.expiresAt) < now;
}
