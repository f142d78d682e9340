// Host configuration (Enable-VMMigration, migration networks, Set-VMHost, Set-VMProcessor): validates a change for every addressed host first, then
// issues one agent command per host. Each command is a HostOperation with its own outcome; the
// agent applies it through Hyper-V, reports its inventory, then answers.

import type { CommandPayload, CommandType } from "@ferry/protocol";
import type { Context } from "../../context.ts";
import { principalName } from "../../context.ts";
import type { AgentCommand, Prisma } from "../../generated/prisma/client.ts";
import { commandCreateData } from "../agents/commands.ts";
import type { AuditIn } from "../audit/service.ts";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { HostOperationFailedError, InvalidVmStateError } from "./errors.ts";
import { checkLimit, checkPriority, parseCidr, resolveHosts, sameSubnet } from "./validation.ts";

/** Command types the agent's configuration handlers run (services/agent/src/runner/handlers/configuration.ts). */
export const CONFIG_COMMANDS = {
  ENABLE_MIGRATION: "ENABLE_MIGRATION",
  DISABLE_MIGRATION: "DISABLE_MIGRATION",
  ADD_MIGRATION_NETWORK: "ADD_MIGRATION_NETWORK",
  REMOVE_MIGRATION_NETWORK: "REMOVE_MIGRATION_NETWORK",
  SET_MIGRATION_SETTINGS: "SET_MIGRATION_SETTINGS",
  APPLY_MIGRATION_SETTINGS: "APPLY_MIGRATION_SETTINGS",
  SET_PROCESSOR_COMPATIBILITY: "SET_PROCESSOR_COMPATIBILITY",
} as const;

export const CONFIG_COMMAND_TYPES: CommandType[] = Object.values(CONFIG_COMMANDS);

/** How long setProcessorCompatibility waits for the agent before returning the pending operation. */
export const PROCESSOR_COMPATIBILITY_WAIT_MS = 15_000;

type Tx = Prisma.TransactionClient;

/** Writes one `type` command per host (already validated), in order, inside `tx`. */
export async function createCommandsIn<T extends CommandType>(
  tx: Tx,
  ctx: Context,
  hosts: { id: string }[],
  type: T,
  payloadFor: (host: { id: string }) => CommandPayload<T>,
): Promise<AgentCommand[]> {
  const requestedBy = principalName(ctx.principal);
  const commands: AgentCommand[] = [];
  for (const host of hosts) {
    commands.push(
      await tx.agentCommand.create({
        data: commandCreateData({ hostId: host.id, type, payload: payloadFor(host), requestedBy }),
      }),
    );
  }
  return commands;
}

/** After the commit: wakes the agents (a hint; they read the database) and announces each operation. */
export function announceCommands(ctx: Context, commands: AgentCommand[]): void {
  for (const command of commands) {
    ctx.app.pubsub.publish("agentCommand", command.hostId, { commandId: command.id });
    ctx.app.pubsub.publish("hostOperationChanged", { operationId: command.id, hostId: command.hostId });
  }
}

/**
 * Issues `type` to every host (already validated) in one transaction with the call's audit entry
 * (all or none), then announces each new operation.
 */
export async function issueToHosts<T extends CommandType>(
  ctx: Context,
  hosts: { id: string }[],
  type: T,
  payloadFor: (host: { id: string }) => CommandPayload<T>,
  audit?: AuditIn,
): Promise<AgentCommand[]> {
  const commands = await ctx.app.db.prisma.$transaction(async (tx) => {
    const rows = await createCommandsIn(tx, ctx, hosts, type, payloadFor);
    await audit?.(tx);
    return rows;
  });
  announceCommands(ctx, commands);
  return commands;
}

export async function setMigrationEnabled(
  ctx: Context,
  hostIds: readonly (string | number)[],
  enabled: boolean,
  audit?: AuditIn,
) {
  const hosts = await resolveHosts(ctx.app, hostIds, "hosts");
  return issueToHosts(
    ctx,
    hosts,
    enabled ? CONFIG_COMMANDS.ENABLE_MIGRATION : CONFIG_COMMANDS.DISABLE_MIGRATION,
    () => ({}),
    audit,
  );
}

export interface AddNetworkInput {
  hosts: readonly (string | number)[];
  subnet: string;
  priority?: number | null;
}

/** Adds the network, or sets its priority where the host already has it. */
export async function addMigrationNetwork(ctx: Context, input: AddNetworkInput, audit?: AuditIn) {
  const subnet = parseCidr(input.subnet, "input.subnet").canonical;
  const priority = checkPriority(input.priority, "input.priority");
  const hosts = await resolveHosts(ctx.app, input.hosts, "input.hosts");
  return issueToHosts(ctx, hosts, CONFIG_COMMANDS.ADD_MIGRATION_NETWORK, () => ({ subnet, priority }), audit);
}

export interface RemoveNetworkInput {
  hosts: readonly (string | number)[];
  subnet: string;
}

/** Refused as a whole when any addressed host does not have the network (as last reported). */
export async function removeMigrationNetwork(ctx: Context, input: RemoveNetworkInput, audit?: AuditIn) {
  const subnet = parseCidr(input.subnet, "input.subnet").canonical;
  const hosts = await resolveHosts(ctx.app, input.hosts, "input.hosts");
  const lacking = hosts.filter((h) => !h.migrationNetworks.some((n) => sameSubnet(n.subnet, subnet)));
  if (lacking.length > 0) {
    throw new ValidationError(
      "input.subnet",
      `${subnet} is not a migration network of ${lacking.map((h) => h.name).join(", ")}; nothing was changed`,
    );
  }
  // Send the subnet exactly as each host reported it (Hyper-V matches its own text).
  return issueToHosts(
    ctx,
    hosts,
    CONFIG_COMMANDS.REMOVE_MIGRATION_NETWORK,
    (host) => ({
      subnet: hosts
        .find((h) => h.id === host.id)!
        .migrationNetworks.find((n) => sameSubnet(n.subnet, subnet))!.subnet,
    }),
    audit,
  );
}

export interface SettingsInput {
  hosts: readonly (string | number)[];
  authenticationType?: "CREDSSP" | "KERBEROS" | null;
  performanceOption?: "TCPIP" | "COMPRESSION" | "SMB" | null;
  maximumVirtualMachineMigrations?: number | null;
  maximumStorageMigrations?: number | null;
  useAnyNetworkForMigration?: boolean | null;
}

export async function updateMigrationSettings(ctx: Context, input: SettingsInput, audit?: AuditIn) {
  const change: Record<string, unknown> = {};
  if (input.authenticationType != null) change.authenticationType = input.authenticationType;
  if (input.performanceOption != null) change.performanceOption = input.performanceOption;
  const vmLimit = checkLimit(input.maximumVirtualMachineMigrations, "input.maximumVirtualMachineMigrations");
  if (vmLimit !== undefined) change.maximumVirtualMachineMigrations = vmLimit;
  const storageLimit = checkLimit(input.maximumStorageMigrations, "input.maximumStorageMigrations");
  if (storageLimit !== undefined) change.maximumStorageMigrations = storageLimit;
  if (input.useAnyNetworkForMigration != null)
    change.useAnyNetworkForMigration = input.useAnyNetworkForMigration;
  if (Object.keys(change).length === 0) {
    throw new ValidationError("input", "name at least one setting to change");
  }
  const hosts = await resolveHosts(ctx.app, input.hosts, "input.hosts");
  return issueToHosts(ctx, hosts, CONFIG_COMMANDS.SET_MIGRATION_SETTINGS, () => change, audit);
}

/** Loads operations by id, in the given order. */
export async function loadOperations(ctx: Context, ids: string[]): Promise<AgentCommand[]> {
  const rows = await ctx.app.db.prisma.agentCommand.findMany({ where: { id: { in: ids } } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)).filter((r): r is AgentCommand => !!r);
}

/** Polls the database (the source of truth) until the command is answered or `timeoutMs` passes. */
export async function waitForCommand(ctx: Context, commandId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const command = await ctx.app.db.prisma.agentCommand.findUnique({ where: { id: commandId } });
    if (!command || command.status === "SUCCEEDED" || command.status === "FAILED") return command;
    if (Date.now() >= deadline) return command;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ACTIVE_MIGRATION_STATES = ["QUEUED", "RUNNING", "CANCELLING"] as const;

function offRemedy(vmName: string) {
  return `Shut the VM down (Stop-VM -Name '${vmName.replaceAll("'", "''")}'), call setProcessorCompatibility again, then start it. Hyper-V changes processor compatibility only while the VM is Off (Set-VMProcessor).`;
}

/**
 * Seed step 5. Refused while the stored state is not OFF (or a migration of the VM is active);
 * otherwise the VM's agent runs Set-VMProcessor and this waits up to `waitMs` for its answer.
 * Returns the VM row id and the operation (still pending if the agent did not answer in time).
 */
export async function setProcessorCompatibility(
  ctx: Context,
  input: { vm: string | number; enabled: boolean },
  audit?: AuditIn,
  waitMs = PROCESSOR_COMPATIBILITY_WAIT_MS,
) {
  const prisma = ctx.app.db.prisma;
  const id = decodeId("VirtualMachine", String(input.vm), "input.vm");
  const vm = await prisma.virtualMachine.findUnique({ where: { id } });
  if (!vm) throw new NotFoundError("virtual machine", String(input.vm));
  if (vm.state !== "OFF") {
    throw new InvalidVmStateError(
      `VM '${vm.name}' is ${vm.state}: processor compatibility can only be changed while the VM is OFF`,
      vm.state,
      offRemedy(vm.name),
    );
  }
  const active = await prisma.migration.findFirst({
    where: { vmGuid: vm.vmId, state: { in: [...ACTIVE_MIGRATION_STATES] } },
    select: { id: true },
  });
  if (active) throw new ConflictError(`VM '${vm.name}' has a migration in progress; wait for it to finish`);
  const [command] = await issueToHosts(
    ctx,
    [{ id: vm.hostId }],
    CONFIG_COMMANDS.SET_PROCESSOR_COMPATIBILITY,
    () => ({
      vmId: vm.vmId,
      enabled: input.enabled,
    }),
    audit,
  );
  const answered = (await waitForCommand(ctx, command!.id, waitMs)) ?? command!;
  if (answered.status === "FAILED") {
    if (answered.errorCode === "INVALID_VM_STATE") {
      throw new InvalidVmStateError(
        `Hyper-V refused: ${answered.errorMessage ?? "the VM is not Off"}`,
        "OTHER",
        offRemedy(vm.name),
      );
    }
    throw new HostOperationFailedError(
      `Hyper-V refused: ${answered.errorMessage ?? answered.errorCode ?? "unknown error"}`,
      answered.errorCode ?? "UNKNOWN",
      answered.id,
    );
  }
  return { vmRowId: vm.id, operationId: answered.id };
}
