// GraphQL surface of host configuration (Enable-VMMigration, migration networks, Set-VMHost, Set-VMProcessor): HostOperation, the configuration
// mutations, setProcessorCompatibility and hostOperationChanged. Resolvers are thin: service.ts works.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder } from "../../builder.ts";
import type { AgentCommand } from "../../generated/prisma/client.ts";
import { MigrationAuthenticationType, MigrationPerformanceOption } from "../hosts/schema.ts";
import { filterAsync } from "../shared/async.ts";
import { decodeId } from "../shared/ids.ts";
import { ErrorInterface, isError, payloadType, runMutation } from "../shared/payload.ts";
import { VirtualMachineType } from "../vms/schema.ts";
import { HostOperationFailedError, InvalidVmStateError } from "./errors.ts";
import * as service from "./service.ts";

builder.objectType(InvalidVmStateError, {
  name: "InvalidVmStateError",
  description: "The VM's state does not allow the change (e.g. processor compatibility needs the VM Off).",
  interfaces: [ErrorInterface],
  isTypeOf: isError("InvalidVmStateError"),
  fields: (t) => ({
    state: t.exposeString("state", { description: "The VM's state as last known (VmState name)." }),
    remedy: t.exposeString("remedy", { description: "What to do so the change can be made." }),
  }),
});

builder.objectType(HostOperationFailedError, {
  name: "HostOperationFailedError",
  description: "The host's agent tried the change and Hyper-V refused it.",
  interfaces: [ErrorInterface],
  isTypeOf: isError("HostOperationFailedError"),
  fields: (t) => ({
    code: t.exposeString("code", { description: "Typed Hyper-V error code, e.g. VM_NOT_FOUND." }),
    operationId: t.id({
      description: "Global id of the failed HostOperation.",
      resolve: (e) => encodeGlobalID("HostOperation", e.operationId),
    }),
  }),
});

export const HostOperationStatus = builder.enumType("HostOperationStatus", {
  description: "Where a host operation is.",
  values: {
    PENDING: { description: "Written; the agent has not received it yet (e.g. it is disconnected)." },
    DELIVERED: { description: "The agent received it and is applying it." },
    SUCCEEDED: { description: "Applied; the host's inventory already shows the change." },
    FAILED: { description: "Hyper-V refused it; see errorCode and errorMessage." },
    EXPIRED: {
      description: "Withdrawn before it ran: the work it belonged to ended first; it is never sent again.",
    },
  },
});

const HostOperationType = builder.prismaNode("AgentCommand", {
  variant: "HostOperation",
  description:
    "One host's part of a configuration change: an agent command with its own outcome (PENDING → DELIVERED → SUCCEEDED/FAILED).",
  id: { field: "id" },
  fields: (t) => ({
    host: t.relation("host", { description: "The host the operation changes." }),
    kind: t.exposeString("type", {
      description:
        "What the operation does, e.g. ENABLE_MIGRATION, ADD_MIGRATION_NETWORK, SET_MIGRATION_SETTINGS.",
    }),
    status: t.expose("status", { type: HostOperationStatus, description: "Progress and outcome." }),
    done: t.boolean({
      description: "True once SUCCEEDED, FAILED or EXPIRED.",
      resolve: (c) => c.status === "SUCCEEDED" || c.status === "FAILED" || c.status === "EXPIRED",
    }),
    parameters: t.field({
      type: "JSON",
      description: "The parameters sent to the agent.",
      resolve: (c) => c.payload,
    }),
    result: t.field({
      type: "JSON",
      nullable: true,
      description: "What the agent reported back on success.",
      resolve: (c) => c.result,
    }),
    errorCode: t.exposeString("errorCode", {
      nullable: true,
      description: "Typed Hyper-V error code when FAILED (e.g. NETWORK_NOT_FOUND, INVALID_VM_STATE).",
    }),
    errorMessage: t.exposeString("errorMessage", {
      nullable: true,
      description: "Hyper-V's message when FAILED.",
    }),
    requestedBy: t.exposeString("requestedBy", { description: "Who asked for it (token or agent name)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was issued." }),
    deliveredAt: t.expose("deliveredAt", {
      type: "DateTime",
      nullable: true,
      description: "When the agent received it.",
    }),
    completedAt: t.expose("completedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the agent answered.",
    }),
  }),
});

export { HostOperationType };

const HostOperationsPayload = payloadType<AgentCommand[]>(
  "HostOperationsPayload",
  "The operations issued, one per host, in the order the hosts were given; follow them with hostOperationChanged.",
  (t) => ({
    operations: t.field({
      type: [HostOperationType],
      nullable: true,
      description: "One operation per host; null when the input was refused (then nothing was issued).",
      resolve: (p) => p.data,
    }),
  }),
);

const AddMigrationNetworkInput = builder.inputType("AddMigrationNetworkInput", {
  description: "Add-VMMigrationNetwork on each host; a host that has the subnet gets the new priority.",
  fields: (t) => ({
    hosts: t.idList({ required: true, description: "Global ids of the hosts." }),
    subnet: t.string({ required: true, description: "IPv4 or IPv6 subnet in CIDR form, e.g. 10.0.1.0/24." }),
    priority: t.int({ description: "Lower is preferred (0 to 2147483647); unset when omitted." }),
  }),
});

const RemoveMigrationNetworkInput = builder.inputType("RemoveMigrationNetworkInput", {
  description: "Remove-VMMigrationNetwork on each host; every host must have the subnet.",
  fields: (t) => ({
    hosts: t.idList({ required: true, description: "Global ids of the hosts." }),
    subnet: t.string({ required: true, description: "The subnet to remove, in CIDR form." }),
  }),
});

const UpdateMigrationSettingsInput = builder.inputType("UpdateMigrationSettingsInput", {
  description:
    "Set-VMHost on each host (migration settings); omitted settings stay as they are. Name at least one.",
  fields: (t) => ({
    hosts: t.idList({ required: true, description: "Global ids of the hosts." }),
    authenticationType: t.field({
      type: MigrationAuthenticationType,
      description: "Kerberos (needs the delegationPlan applied in AD) or CredSSP.",
    }),
    performanceOption: t.field({
      type: MigrationPerformanceOption,
      description: "TCPIP, COMPRESSION or SMB transport.",
    }),
    maximumVirtualMachineMigrations: t.int({ description: "Simultaneous live migrations, 1 to 4096." }),
    maximumStorageMigrations: t.int({ description: "Simultaneous storage migrations, 1 to 4096." }),
    useAnyNetworkForMigration: t.boolean({
      description: "True: any available network; false: only the migration networks.",
    }),
  }),
});

const hostTarget = (ids: readonly (string | number)[]) => ids.map(String).join(",").slice(0, 500);

builder.mutationField("enableMigration", (t) =>
  t.field({
    type: HostOperationsPayload,
    description: "Enable-VMMigration on each host. One operation per host.",
    authScopes: { admin: true },
    args: { hosts: t.arg.idList({ required: true, description: "Global ids of the hosts." }) },
    resolve: (_root, args, ctx) =>
      runMutation(
        ctx,
        { operation: "enableMigration", target: hostTarget(args.hosts), input: args },
        (audit) => service.setMigrationEnabled(ctx, args.hosts, true, audit),
      ),
  }),
);

builder.mutationField("disableMigration", (t) =>
  t.field({
    type: HostOperationsPayload,
    description: "Disable-VMMigration on each host. One operation per host.",
    authScopes: { admin: true },
    args: { hosts: t.arg.idList({ required: true, description: "Global ids of the hosts." }) },
    resolve: (_root, args, ctx) =>
      runMutation(
        ctx,
        { operation: "disableMigration", target: hostTarget(args.hosts), input: args },
        (audit) => service.setMigrationEnabled(ctx, args.hosts, false, audit),
      ),
  }),
);

builder.mutationField("addMigrationNetwork", (t) =>
  t.field({
    type: HostOperationsPayload,
    description:
      "Adds a migration network to each host (Add-VMMigrationNetwork -Subnet -Priority). The subnet and priority are validated before anything is sent.",
    authScopes: { admin: true },
    args: {
      input: t.arg({
        type: AddMigrationNetworkInput,
        required: true,
        description: "Hosts, subnet, priority.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(
        ctx,
        { operation: "addMigrationNetwork", target: hostTarget(input.hosts), input },
        (audit) => service.addMigrationNetwork(ctx, input, audit),
      ),
  }),
);

builder.mutationField("removeMigrationNetwork", (t) =>
  t.field({
    type: HostOperationsPayload,
    description:
      "Removes a migration network from each host. Refused as a whole (ValidationError on input.subnet) if any host lacks it.",
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: RemoveMigrationNetworkInput, required: true, description: "Hosts and subnet." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(
        ctx,
        { operation: "removeMigrationNetwork", target: hostTarget(input.hosts), input },
        (audit) => service.removeMigrationNetwork(ctx, input, audit),
      ),
  }),
);

builder.mutationField("updateMigrationSettings", (t) =>
  t.field({
    type: HostOperationsPayload,
    description:
      "Set-VMHost on each host: authentication (-VirtualMachineMigrationAuthenticationType), transport (-VirtualMachineMigrationPerformanceOption), limits (-MaximumVirtualMachineMigrations, -MaximumStorageMigrations), -UseAnyNetworkForMigration.",
    authScopes: { admin: true },
    args: {
      input: t.arg({
        type: UpdateMigrationSettingsInput,
        required: true,
        description: "Hosts and settings.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(
        ctx,
        { operation: "updateMigrationSettings", target: hostTarget(input.hosts), input },
        (audit) => service.updateMigrationSettings(ctx, input, audit),
      ),
  }),
);

const SetProcessorCompatibilityInput = builder.inputType("SetProcessorCompatibilityInput", {
  description:
    "Set-VMProcessor -CompatibilityForMigrationEnabled; the VM must be Off. Hides newer processor features within one CPU vendor; it never allows moves between Intel and AMD.",
  fields: (t) => ({
    vm: t.id({ required: true, description: "Global id of the VM." }),
    enabled: t.boolean({ required: true, description: "Turn processor compatibility mode on or off." }),
  }),
});

const VirtualMachinePayload = payloadType<{ vmRowId: string; operationId: string }>(
  "VirtualMachinePayload",
  "A VM after a change, and the host operation that made it.",
  (t) => ({
    virtualMachine: t.field({
      type: VirtualMachineType,
      nullable: true,
      description: "The VM as reported after the change (as before it while the operation is still pending).",
      resolve: (p, _args, ctx) =>
        p.data ? ctx.app.db.prisma.virtualMachine.findUnique({ where: { id: p.data.vmRowId } }) : null,
    }),
    operation: t.field({
      type: HostOperationType,
      nullable: true,
      description:
        "The agent command that applied the change; PENDING/DELIVERED if the agent did not answer in time.",
      resolve: async (p, _args, ctx) =>
        p.data ? ctx.app.db.prisma.agentCommand.findUnique({ where: { id: p.data.operationId } }) : null,
    }),
  }),
);

builder.mutationField("setProcessorCompatibility", (t) =>
  t.field({
    type: VirtualMachinePayload,
    description: `Seed step 5: processor compatibility mode for moves between different CPU generations.
Refused with InvalidVmStateError (and a remedy) unless the VM is OFF; ConflictError while it is being migrated.
Synchronous with a bound: waits up to ${service.PROCESSOR_COMPATIBILITY_WAIT_MS / 1000} s for the host's agent, then returns the VM as reported after the change;
if the agent has not answered by then (e.g. disconnected) the payload has no errors, \`operation.status\` is PENDING/DELIVERED,
and hostOperationChanged reports the outcome. Hyper-V's own refusal comes back as InvalidVmStateError or HostOperationFailedError.`,
    authScopes: { operator: true },
    args: {
      input: t.arg({ type: SetProcessorCompatibilityInput, required: true, description: "VM and setting." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { operation: "setProcessorCompatibility", target: String(input.vm), input }, (audit) =>
        service.setProcessorCompatibility(ctx, input, audit),
      ),
  }),
);

builder.subscriptionField("hostOperationChanged", (t) =>
  t.field({
    type: HostOperationType,
    description: "Emits a host operation when it is issued and when its agent answers.",
    authScopes: { viewer: true },
    args: {
      host: t.arg.id({ description: "Only operations of this host (global id)." }),
      operations: t.arg.idList({ description: "Only these operations (global ids)." }),
    },
    subscribe: (_root, args, ctx) => {
      const host = args.host ? decodeId("Host", String(args.host), "host") : null;
      const only = args.operations
        ? new Set(args.operations.map((id, i) => decodeId("HostOperation", String(id), `operations[${i}]`)))
        : null;
      return filterAsync(
        ctx.app.pubsub.subscribe("hostOperationChanged"),
        (e) => (host === null || e.hostId === host) && (only === null || only.has(e.operationId)),
      );
    },
    resolve: async (payload, _args, ctx) => {
      const { operationId } = payload as unknown as { operationId: string };
      return ctx.app.db.prisma.agentCommand.findUniqueOrThrow({ where: { id: operationId } });
    },
  }),
);

const HostOperationConnection = builder.connectionObject({
  type: HostOperationType,
  name: "HostOperationConnection",
  description: "A page of host operations.",
});

builder.queryField("hostOperations", (t) =>
  t.prismaConnection(
    {
      type: HostOperationType,
      cursor: "id",
      description: "Host configuration operations, newest first.",
      authScopes: { viewer: true },
      args: { host: t.arg.id({ description: "Only operations of this host (global id)." }) },
      totalCount: (_parent, args, ctx) =>
        ctx.app.db.prisma.agentCommand.count({ where: operationsWhere(args.host) }),
      resolve: (query, _parent, args, ctx) =>
        ctx.app.db.prisma.agentCommand.findMany({
          ...query,
          where: operationsWhere(args.host),
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        }),
    },
    HostOperationConnection,
  ),
);

function operationsWhere(host: string | number | null | undefined) {
  return {
    type: { in: service.CONFIG_COMMAND_TYPES },
    ...(host ? { hostId: decodeId("Host", String(host), "host") } : {}),
  };
}
