// Migration profiles: named desired settings assigned to hosts. Applying one converges its hosts
// (one APPLY_MIGRATION_SETTINGS command each); drift shows what still differs.

import type { CommandPayload } from "@ferry/protocol";
import type { Context } from "../../context.ts";
import { principalName } from "../../context.ts";
import { Prisma } from "../../generated/prisma/client.ts";
import { type AuditIn, withAudit } from "../audit/service.ts";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId } from "../shared/ids.ts";
import { type NetworkSpec, type ProfileSpec, recomputeDrift, specOf } from "./drift.ts";
import { announceCommands, CONFIG_COMMANDS, createCommandsIn } from "./service.ts";
import { checkLimit, checkPriority, parseCidr, resolveHosts } from "./validation.ts";

export interface ProfileFieldsInput {
  name?: string | null;
  description?: string | null;
  enabled?: boolean | null;
  authenticationType?: "CREDSSP" | "KERBEROS" | null;
  performanceOption?: "TCPIP" | "COMPRESSION" | "SMB" | null;
  maximumVirtualMachineMigrations?: number | null;
  maximumStorageMigrations?: number | null;
  useAnyNetworkForMigration?: boolean | null;
  networks?: readonly { subnet: string; priority?: number | null }[] | null;
}

const MAX_NETWORKS = 64;

function checkName(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 100 || /[\p{Cc}]/u.test(trimmed))
    throw new ValidationError(field, "a profile name is 1 to 100 printable characters");
  return trimmed;
}

function checkNetworks(
  networks: readonly { subnet: string; priority?: number | null }[],
  field: string,
): NetworkSpec[] {
  if (networks.length > MAX_NETWORKS) throw new ValidationError(field, `at most ${MAX_NETWORKS} networks`);
  const seen = new Set<string>();
  return networks.map((n, i) => {
    const subnet = parseCidr(n.subnet, `${field}[${i}].subnet`).canonical;
    if (seen.has(subnet)) throw new ValidationError(`${field}[${i}].subnet`, `${subnet} is listed twice`);
    seen.add(subnet);
    return { subnet, priority: checkPriority(n.priority, `${field}[${i}].priority`) };
  });
}

/** Validated column values for the fields present in `input` (undefined = absent, null = not managed). */
function profileData(input: ProfileFieldsInput, prefix: string) {
  const data: Prisma.MigrationProfileUpdateInput = {};
  if (input.name !== undefined) {
    if (input.name === null) throw new ValidationError(`${prefix}.name`, "a profile needs a name");
    data.name = checkName(input.name, `${prefix}.name`);
  }
  if (input.description !== undefined) {
    if (input.description !== null && input.description.length > 1000)
      throw new ValidationError(`${prefix}.description`, "at most 1000 characters");
    data.description = input.description;
  }
  if (input.enabled !== undefined) data.enabled = input.enabled;
  if (input.authenticationType !== undefined) data.authenticationType = input.authenticationType;
  if (input.performanceOption !== undefined) data.performanceOption = input.performanceOption;
  if (input.maximumVirtualMachineMigrations !== undefined)
    data.maximumVirtualMachineMigrations =
      checkLimit(input.maximumVirtualMachineMigrations, `${prefix}.maximumVirtualMachineMigrations`) ?? null;
  if (input.maximumStorageMigrations !== undefined)
    data.maximumStorageMigrations =
      checkLimit(input.maximumStorageMigrations, `${prefix}.maximumStorageMigrations`) ?? null;
  if (input.useAnyNetworkForMigration !== undefined)
    data.useAnyNetworkForMigration = input.useAnyNetworkForMigration;
  if (input.networks !== undefined) {
    data.networks =
      input.networks === null
        ? Prisma.DbNull
        : (checkNetworks(input.networks, `${prefix}.networks`) as unknown as Prisma.InputJsonValue);
  }
  return data;
}

async function nameTaken(ctx: Context, name: string, exceptId: string | null) {
  const existing = await ctx.app.db.prisma.migrationProfile.findFirst({
    where: { name: { equals: name, mode: "insensitive" }, ...(exceptId ? { NOT: { id: exceptId } } : {}) },
    select: { id: true },
  });
  if (existing) throw new ConflictError(`a profile named '${name}' already exists`);
}

// Each change commits with the call's audit entry (AuditIn from runMutation). Drift is derived
// (profile and reported settings) and recomputed after the commit; inventory reports recompute it too.

export async function createProfile(
  ctx: Context,
  input: ProfileFieldsInput & { name: string },
  audit?: AuditIn,
) {
  const data = profileData(input, "input");
  await nameTaken(ctx, data.name as string, null);
  return withAudit(ctx.app.db.prisma, audit, (tx) =>
    tx.migrationProfile.create({
      data: { ...(data as Prisma.MigrationProfileCreateInput), createdBy: principalName(ctx.principal) },
    }),
  );
}

async function loadProfile(ctx: Context, id: string | number, field: string) {
  const profileId = decodeId("MigrationProfile", String(id), field);
  const profile = await ctx.app.db.prisma.migrationProfile.findUnique({ where: { id: profileId } });
  if (!profile) throw new NotFoundError("profile", String(id));
  return profile;
}

/** Changes the given fields (an explicit null stops managing that setting); drift follows. */
export async function updateProfile(
  ctx: Context,
  input: ProfileFieldsInput & { id: string | number },
  audit?: AuditIn,
) {
  const profile = await loadProfile(ctx, input.id, "input.id");
  const { id: _id, ...fields } = input;
  const data = profileData(fields, "input");
  if (Object.keys(data).length === 0) throw new ValidationError("input", "name at least one field to change");
  if (typeof data.name === "string") await nameTaken(ctx, data.name, profile.id);
  const updated = await withAudit(ctx.app.db.prisma, audit, (tx) =>
    tx.migrationProfile.update({ where: { id: profile.id }, data }),
  );
  await recomputeDrift(ctx.app, { profileId: profile.id });
  return updated;
}

/** Deletes the profile; its hosts keep their settings and lose the assignment (and their drift). */
export async function deleteProfile(ctx: Context, id: string | number, audit?: AuditIn) {
  const profile = await loadProfile(ctx, id, "id");
  const hostIds = (
    await ctx.app.db.prisma.host.findMany({ where: { profileId: profile.id }, select: { id: true } })
  ).map((h) => h.id);
  await withAudit(ctx.app.db.prisma, audit, (tx) =>
    tx.migrationProfile.delete({ where: { id: profile.id } }),
  );
  await recomputeDrift(ctx.app, { id: { in: hostIds } });
  return profile;
}

/** Assigns the profile (or none) to the hosts; validated as a whole first. Returns the host ids. */
export async function assignProfile(
  ctx: Context,
  input: { profile?: string | number | null; hosts: readonly (string | number)[] },
  audit?: AuditIn,
) {
  const profile = input.profile == null ? null : await loadProfile(ctx, input.profile, "input.profile");
  const hosts = await resolveHosts(ctx.app, input.hosts, "input.hosts");
  const ids = hosts.map((h) => h.id);
  await withAudit(ctx.app.db.prisma, audit, (tx) =>
    tx.host.updateMany({
      where: { id: { in: ids } },
      data: { profileId: profile?.id ?? null },
    }),
  );
  await recomputeDrift(ctx.app, { id: { in: ids } });
  return ids;
}

/** The command payload that converges a host to the profile (only managed settings). */
export function convergePayload(spec: ProfileSpec): CommandPayload<"APPLY_MIGRATION_SETTINGS"> {
  return {
    ...(spec.enabled !== null && { enabled: spec.enabled }),
    ...(spec.authenticationType !== null && { authenticationType: spec.authenticationType }),
    ...(spec.performanceOption !== null && { performanceOption: spec.performanceOption }),
    ...(spec.maximumVirtualMachineMigrations !== null && {
      maximumVirtualMachineMigrations: spec.maximumVirtualMachineMigrations,
    }),
    ...(spec.maximumStorageMigrations !== null && {
      maximumStorageMigrations: spec.maximumStorageMigrations,
    }),
    ...(spec.useAnyNetworkForMigration !== null && {
      useAnyNetworkForMigration: spec.useAnyNetworkForMigration,
    }),
    ...(spec.networks !== null && { networks: spec.networks }),
  };
}

/**
 * Assigns the profile to the given hosts (default: the hosts it is assigned to) and issues one
 * APPLY_MIGRATION_SETTINGS command per host; each agent changes only what differs.
 */
export async function applyProfile(
  ctx: Context,
  input: { profile: string | number; hosts?: readonly (string | number)[] | null },
  audit?: AuditIn,
) {
  const profile = await loadProfile(ctx, input.profile, "input.profile");
  let hosts: { id: string }[];
  if (input.hosts) {
    hosts = await resolveHosts(ctx.app, input.hosts, "input.hosts");
  } else {
    hosts = await ctx.app.db.prisma.host.findMany({
      where: { profileId: profile.id },
      select: { id: true },
      orderBy: { name: "asc" },
    });
    if (hosts.length === 0)
      throw new ValidationError(
        "input.hosts",
        `profile '${profile.name}' is assigned to no host; name the hosts`,
      );
  }
  const ids = hosts.map((h) => h.id);
  const payload = convergePayload(specOf(profile));
  // The assignment, one command per host and the entry: all or nothing.
  const commands = await withAudit(ctx.app.db.prisma, audit, async (tx) => {
    await tx.host.updateMany({ where: { id: { in: ids } }, data: { profileId: profile.id } });
    return createCommandsIn(tx, ctx, hosts, CONFIG_COMMANDS.APPLY_MIGRATION_SETTINGS, () => payload);
  });
  await recomputeDrift(ctx.app, { id: { in: ids } });
  announceCommands(ctx, commands);
  return commands;
}
