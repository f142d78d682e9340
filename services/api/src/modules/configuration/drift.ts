// Drift: every difference between a host's profile (desired) and its reported settings (actual).
// Stored on Host.drift, recomputed after every inventory report and every profile change, and
// announced with hostChanged when it changes.
import type { App } from "../../context.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { enqueueWebhookEvent } from "../webhooks/outbox.ts";
import { driftEvent } from "../webhooks/views.ts";
import { canonicalSubnet } from "./validation.ts";

export interface NetworkSpec {
  subnet: string;
  priority: number | null;
}

/** A profile's desired settings; null = not managed by the profile. */
export interface ProfileSpec {
  enabled: boolean | null;
  authenticationType: "CREDSSP" | "KERBEROS" | null;
  performanceOption: "TCPIP" | "COMPRESSION" | "SMB" | null;
  maximumVirtualMachineMigrations: number | null;
  maximumStorageMigrations: number | null;
  useAnyNetworkForMigration: boolean | null;
  /** Exactly these networks; null = networks are not managed. */
  networks: NetworkSpec[] | null;
}

export interface ActualSettings {
  enabled: boolean;
  authenticationType: string;
  performanceOption: string;
  maximumVirtualMachineMigrations: number;
  maximumStorageMigrations: number;
  useAnyNetworkForMigration: boolean;
  networks: NetworkSpec[];
}

export interface DriftItem {
  /** The setting, e.g. "authenticationType" or "networks[10.0.1.0/24]". */
  field: string;
  /** Desired value as text; null when the profile wants it absent. */
  desired: string | null;
  /** Reported value as text; null when absent. */
  actual: string | null;
  message: string;
}

const SCALARS = [
  "enabled",
  "authenticationType",
  "performanceOption",
  "maximumVirtualMachineMigrations",
  "maximumStorageMigrations",
  "useAnyNetworkForMigration",
] as const;

const show = (v: unknown) => (v === null || v === undefined ? null : String(v));
const showNetwork = (n: NetworkSpec) =>
  n.priority === null ? n.subnet : `${n.subnet} priority ${n.priority}`;

/** Pure: the differences, in a stable order (scalar settings, then networks by subnet). */
export function computeDrift(spec: ProfileSpec, actual: ActualSettings | null): DriftItem[] {
  if (!actual) {
    return [
      {
        field: "inventory",
        desired: "reported",
        actual: null,
        message: "The host's agent has not reported its settings yet.",
      },
    ];
  }
  const items: DriftItem[] = [];
  for (const key of SCALARS) {
    const desired = spec[key];
    if (desired === null || desired === actual[key]) continue;
    items.push({
      field: key,
      desired: show(desired),
      actual: show(actual[key]),
      message: `${key} is ${show(actual[key])}, the profile wants ${show(desired)}.`,
    });
  }
  if (spec.networks) {
    const have = new Map(actual.networks.map((n) => [canonicalSubnet(n.subnet), n]));
    const want = new Map(spec.networks.map((n) => [canonicalSubnet(n.subnet), n]));
    const subnets = [...new Set([...want.keys(), ...have.keys()])].sort();
    for (const subnet of subnets) {
      const w = want.get(subnet);
      const h = have.get(subnet);
      if (w && h && w.priority === h.priority) continue;
      items.push({
        field: `networks[${subnet}]`,
        desired: w ? showNetwork(w) : null,
        actual: h ? showNetwork(h) : null,
        message: !h
          ? `Migration network ${showNetwork(w!)} is missing.`
          : !w
            ? `Migration network ${h.subnet} is not in the profile.`
            : `Migration network ${subnet} has priority ${show(h.priority)}, the profile wants ${show(w.priority)}.`,
      });
    }
  }
  return items;
}

type ProfileRow = {
  enabled: boolean | null;
  authenticationType: "CREDSSP" | "KERBEROS" | null;
  performanceOption: "TCPIP" | "COMPRESSION" | "SMB" | null;
  maximumVirtualMachineMigrations: number | null;
  maximumStorageMigrations: number | null;
  useAnyNetworkForMigration: boolean | null;
  networks: Prisma.JsonValue | null;
};

export function specOf(profile: ProfileRow): ProfileSpec {
  return {
    enabled: profile.enabled,
    authenticationType: profile.authenticationType,
    performanceOption: profile.performanceOption,
    maximumVirtualMachineMigrations: profile.maximumVirtualMachineMigrations,
    maximumStorageMigrations: profile.maximumStorageMigrations,
    useAnyNetworkForMigration: profile.useAnyNetworkForMigration,
    networks: Array.isArray(profile.networks) ? (profile.networks as unknown as NetworkSpec[]) : null,
  };
}

/**
 * Whether the computed drift is the stored one, by value: jsonb does not keep an object's key order
 * (it stores field, actual, desired, message), so comparing JSON text saw a change at every
 * recompute and raised HOST_DRIFT_CHANGED (and hostChanged) after every inventory report.
 */
export function sameDrift(drift: DriftItem[], stored: Prisma.JsonValue): boolean {
  const flat = (items: DriftItem[]) =>
    JSON.stringify(items.map((i) => [i.field, i.desired ?? null, i.actual ?? null, i.message]));
  return Array.isArray(stored) && flat(drift) === flat(stored as unknown as DriftItem[]);
}

/**
 * Recomputes and stores the drift of these hosts (all hosts of `where`); publishes hostChanged for
 * each host whose drift changed. Hosts without a profile have no drift.
 */
export async function recomputeDrift(app: App, where: Prisma.HostWhereInput): Promise<void> {
  const hosts = await app.db.prisma.host.findMany({ where, select: DRIFT_INPUTS });
  for (const host of hosts) {
    // Unchanged by the unlocked read: nothing to do (the common case, no transaction).
    if (sameDrift(driftOf(host), host.drift)) continue;
    // The host row locked, its inputs read again: two recomputes of one host at once (a mutation's and
    // the inventory reactions') would otherwise both see the old drift and both raise the event, and an
    // older computation could overwrite a newer one. The HOST_DRIFT_CHANGED webhook event commits with
    // the change (modules/webhooks/outbox.ts).
    const changed = await app.db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM "Host" WHERE "id" = ${host.id}::uuid FOR UPDATE`;
      const fresh = await tx.host.findUnique({ where: { id: host.id }, select: DRIFT_INPUTS });
      if (!fresh) return false;
      const drift = driftOf(fresh);
      if (sameDrift(drift, fresh.drift)) return false;
      await tx.host.update({
        where: { id: host.id },
        data: { drift: drift as unknown as Prisma.InputJsonValue },
      });
      await enqueueWebhookEvent(tx, driftEvent(fresh, drift));
      return true;
    });
    if (changed) app.pubsub.publish("hostChanged", { hostId: host.id });
  }
}

/** What a host's drift is computed from, and the stored drift. */
const DRIFT_INPUTS = {
  id: true,
  name: true,
  drift: true,
  profile: true,
  migrationSettings: true,
  migrationNetworks: { select: { subnet: true, priority: true } },
} satisfies Prisma.HostSelect;

function driftOf(host: Prisma.HostGetPayload<{ select: typeof DRIFT_INPUTS }>): DriftItem[] {
  const actual = host.migrationSettings
    ? { ...host.migrationSettings, networks: host.migrationNetworks }
    : null;
  return host.profile ? computeDrift(specOf(host.profile), actual) : [];
}
