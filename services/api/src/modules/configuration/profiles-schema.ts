// GraphQL surface of migration profiles: the profile type, Host.profile / Host.drift, CRUD,
// assignment and applyMigrationProfile.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { builder, type Types } from "../../builder.ts";
import type { AgentCommand, MigrationProfile } from "../../generated/prisma/client.ts";
import { HostType, MigrationAuthenticationType, MigrationPerformanceOption } from "../hosts/schema.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import type { DriftItem, NetworkSpec } from "./drift.ts";
import * as profiles from "./profiles.ts";
import { HostOperationType } from "./schema.ts";

const ProfileNetwork = builder.objectRef<NetworkSpec>("ProfileNetwork").implement({
  description: "A migration network a profile requires.",
  fields: (t) => ({
    subnet: t.exposeString("subnet", { description: "IPv4 or IPv6 subnet in CIDR form (canonical)." }),
    priority: t.exposeInt("priority", {
      nullable: true,
      description: "Lower is preferred; null when unset.",
    }),
  }),
});

const DriftItemType = builder.objectRef<DriftItem>("DriftItem").implement({
  description: "One difference between a host's profile and its reported settings.",
  fields: (t) => ({
    field: t.exposeString("field", {
      description: "The setting, e.g. authenticationType or networks[10.0.1.0/24].",
    }),
    desired: t.exposeString("desired", {
      nullable: true,
      description: "What the profile wants, as text; null when the profile wants it absent.",
    }),
    actual: t.exposeString("actual", {
      nullable: true,
      description: "What the host reported, as text; null when absent.",
    }),
    message: t.exposeString("message", { description: "The difference, for a human." }),
  }),
});

export const MigrationProfileType = builder.prismaNode("MigrationProfile", {
  description:
    "Named desired live-migration settings (Enable-VMMigration, Set-VMHost, migration networks) for the hosts assigned to it. A null setting is not managed.",
  id: { field: "id" },
  fields: (t) => ({
    name: t.exposeString("name", { description: "Unique name (case-insensitive)." }),
    description: t.exposeString("description", { nullable: true, description: "What the profile is for." }),
    enabled: t.exposeBoolean("enabled", {
      nullable: true,
      description: "Live migration enabled or disabled.",
    }),
    authenticationType: t.expose("authenticationType", {
      type: MigrationAuthenticationType,
      nullable: true,
      description: "Authentication for moves.",
    }),
    performanceOption: t.expose("performanceOption", {
      type: MigrationPerformanceOption,
      nullable: true,
      description: "Transport.",
    }),
    maximumVirtualMachineMigrations: t.exposeInt("maximumVirtualMachineMigrations", {
      nullable: true,
      description: "Simultaneous live migrations.",
    }),
    maximumStorageMigrations: t.exposeInt("maximumStorageMigrations", {
      nullable: true,
      description: "Simultaneous storage migrations.",
    }),
    useAnyNetworkForMigration: t.exposeBoolean("useAnyNetworkForMigration", {
      nullable: true,
      description: "Use any network (true) or only the migration networks (false).",
    }),
    networks: t.field({
      type: [ProfileNetwork],
      nullable: true,
      description: "Exactly these migration networks; null when the profile does not manage networks.",
      select: { networks: true },
      resolve: (p) => (Array.isArray(p.networks) ? (p.networks as unknown as NetworkSpec[]) : null),
    }),
    hosts: t.relation("hosts", {
      description: "Hosts assigned to this profile, by name.",
      query: { orderBy: { name: "asc" } },
    }),
    createdBy: t.exposeString("createdBy", { description: "Who created it." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

builder.prismaObjectFields(HostType, (t) => ({
  profile: t.relation("profile", {
    nullable: true,
    description: "The migration profile assigned to this host, if any.",
  }),
  drift: t.field({
    type: [DriftItemType],
    description:
      "Every difference between the assigned profile and the reported settings; empty without a profile or when compliant. Recomputed after every inventory report, in the background (moments after the report is answered).",
    select: { drift: true },
    resolve: (h) => (Array.isArray(h.drift) ? (h.drift as unknown as DriftItem[]) : []),
  }),
}));

const MigrationProfileConnection = builder.connectionObject({
  type: MigrationProfileType,
  name: "MigrationProfileConnection",
  description: "A page of migration profiles.",
});

builder.queryField("migrationProfiles", (t) =>
  t.prismaConnection(
    {
      type: "MigrationProfile",
      cursor: "id",
      description: "Migration profiles, by name.",
      authScopes: { viewer: true },
      totalCount: (_parent, _args, ctx) => ctx.app.db.prisma.migrationProfile.count(),
      resolve: (query, _parent, _args, ctx) =>
        ctx.app.db.prisma.migrationProfile.findMany({ ...query, orderBy: [{ name: "asc" }, { id: "asc" }] }),
    },
    MigrationProfileConnection,
  ),
);

const NetworkInput = builder.inputType("MigrationNetworkInput", {
  description: "A migration network: subnet and priority.",
  fields: (t) => ({
    subnet: t.string({ required: true, description: "IPv4 or IPv6 subnet in CIDR form." }),
    priority: t.int({ description: "Lower is preferred (0 to 2147483647)." }),
  }),
});

/** The managed settings, shared by the create and update inputs. */
const settingFields = (t: PothosSchemaTypes.InputFieldBuilder<Types, "InputObject">) => ({
  description: t.string({ description: "What the profile is for." }),
  enabled: t.boolean({ description: "Live migration enabled." }),
  authenticationType: t.field({ type: MigrationAuthenticationType, description: "Authentication." }),
  performanceOption: t.field({ type: MigrationPerformanceOption, description: "Transport." }),
  maximumVirtualMachineMigrations: t.int({ description: "Simultaneous live migrations, 1 to 4096." }),
  maximumStorageMigrations: t.int({ description: "Simultaneous storage migrations, 1 to 4096." }),
  useAnyNetworkForMigration: t.boolean({ description: "Use any network for migration." }),
  networks: t.field({ type: [NetworkInput], description: "Exactly these migration networks." }),
});

const CreateMigrationProfileInput = builder.inputType("CreateMigrationProfileInput", {
  description: "A new profile. Omitted (or null) settings are not managed by it.",
  fields: (t) => ({
    name: t.string({ required: true, description: "Unique name." }),
    ...settingFields(t),
  }),
});

const UpdateMigrationProfileInput = builder.inputType("UpdateMigrationProfileInput", {
  description: "Changes to a profile: omitted fields stay; an explicit null stops managing that setting.",
  fields: (t) => ({
    id: t.id({ required: true, description: "Global id of the profile." }),
    name: t.string({ description: "New unique name." }),
    ...settingFields(t),
  }),
});

const MigrationProfilePayload = payloadType<MigrationProfile>(
  "MigrationProfilePayload",
  "The profile after the change.",
  (t) => ({
    profile: t.field({
      type: MigrationProfileType,
      nullable: true,
      description: "The profile; null when the change was refused.",
      resolve: (p) => p.data,
    }),
  }),
);

const DeleteMigrationProfilePayload = payloadType<MigrationProfile>(
  "DeleteMigrationProfilePayload",
  "The deleted profile's id.",
  (t) => ({
    deletedId: t.id({
      nullable: true,
      description: "Global id of the deleted profile.",
      resolve: (p) => (p.data ? encodeGlobalID("MigrationProfile", p.data.id) : null),
    }),
  }),
);

const AssignMigrationProfileInput = builder.inputType("AssignMigrationProfileInput", {
  description:
    "Which hosts a profile (or none) applies to. Assignment alone changes no host: see applyMigrationProfile.",
  fields: (t) => ({
    profile: t.id({ description: "Global id of the profile; null/omitted removes the hosts' profile." }),
    hosts: t.idList({ required: true, description: "Global ids of the hosts." }),
  }),
});

const AssignMigrationProfilePayload = payloadType<string[]>(
  "AssignMigrationProfilePayload",
  "The hosts with their new assignment and drift.",
  (t) => ({
    hosts: t.field({
      type: [HostType],
      nullable: true,
      description: "The hosts, in the order given.",
      resolve: async (p, _args, ctx) => {
        if (!p.data) return null;
        const rows = await ctx.app.db.prisma.host.findMany({ where: { id: { in: p.data } } });
        const byId = new Map(rows.map((r) => [r.id, r]));
        return p.data.map((id) => byId.get(id)!).filter(Boolean);
      },
    }),
  }),
);

const ApplyMigrationProfileInput = builder.inputType("ApplyMigrationProfileInput", {
  description: "Converge hosts to a profile.",
  fields: (t) => ({
    profile: t.id({ required: true, description: "Global id of the profile." }),
    hosts: t.idList({
      description: "Hosts to assign and converge; omitted: every host the profile is assigned to.",
    }),
  }),
});

const ApplyPayload = payloadType<AgentCommand[]>(
  "ApplyMigrationProfilePayload",
  "One converge operation per host; when they succeed, the hosts' drift empties moments later (it is recomputed after the inventory report that confirmed the change).",
  (t) => ({
    operations: t.field({
      type: [HostOperationType],
      nullable: true,
      description: "One APPLY_MIGRATION_SETTINGS operation per host.",
      resolve: (p) => p.data,
    }),
  }),
);

builder.mutationField("createMigrationProfile", (t) =>
  t.field({
    type: MigrationProfilePayload,
    description: "Creates a migration profile (desired settings); assign it with assignMigrationProfile.",
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: CreateMigrationProfileInput, required: true, description: "The profile." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { operation: "createMigrationProfile", target: input.name, input }, (audit) =>
        profiles.createProfile(ctx, input, audit),
      ),
  }),
);

builder.mutationField("updateMigrationProfile", (t) =>
  t.field({
    type: MigrationProfilePayload,
    description:
      "Changes a profile; the drift of its hosts is recomputed (hosts are not changed until applied).",
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: UpdateMigrationProfileInput, required: true, description: "The changes." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { operation: "updateMigrationProfile", target: String(input.id), input }, (audit) =>
        profiles.updateProfile(ctx, input, audit),
      ),
  }),
);

builder.mutationField("deleteMigrationProfile", (t) =>
  t.field({
    type: DeleteMigrationProfilePayload,
    description: "Deletes a profile; its hosts keep their settings and lose the assignment.",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: "Global id of the profile." }) },
    resolve: (_root, { id }, ctx) =>
      runMutation(ctx, { operation: "deleteMigrationProfile", target: String(id) }, (audit) =>
        profiles.deleteProfile(ctx, id, audit),
      ),
  }),
);

builder.mutationField("assignMigrationProfile", (t) =>
  t.field({
    type: AssignMigrationProfilePayload,
    description: "Assigns a profile to hosts (or removes it); drift is recomputed at once.",
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: AssignMigrationProfileInput, required: true, description: "Profile and hosts." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(
        ctx,
        { operation: "assignMigrationProfile", target: String(input.profile ?? ""), input },
        (audit) => profiles.assignProfile(ctx, input, audit),
      ),
  }),
);

builder.mutationField("applyMigrationProfile", (t) =>
  t.field({
    type: ApplyPayload,
    description:
      "Assigns the profile to the hosts and converges them: one operation per host that changes exactly what differs (networks, settings, enabled).",
    authScopes: { admin: true },
    args: {
      input: t.arg({ type: ApplyMigrationProfileInput, required: true, description: "Profile and hosts." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(
        ctx,
        { operation: "applyMigrationProfile", target: String(input.profile), input },
        (audit) => profiles.applyProfile(ctx, input, audit),
      ),
  }),
);
