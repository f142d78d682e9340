// Plain-language diagnosis and remedy for every failure code (docs/hyperv.md "Failures"). Remedies
// name hosts by name and by the Relay id the API accepts, and follow the hosts' configuration.
import { liveMoveRules } from "@ferry/hyperv";
import { encodeGlobalID } from "@pothos/plugin-relay";
import type { App } from "../../context.ts";
import { catalog, type Diagnosis, type DiagnosisContext, type DiagnosisHost } from "./diagnosis-catalog.ts";
import { loadHostView, loadVm } from "./loaders.ts";
import { hostFacts } from "./preflight.ts";

export type { Diagnosis, DiagnosisContext, DiagnosisHost };

const UNKNOWN: Diagnosis = {
  diagnosis: "Hyper-V reported an unexpected failure.",
  remedy: "Read Hyper-V's message and the host's Hyper-V-VMMS-Admin events (hostEvents) for details.",
};

export function diagnose(code: string, ctx: DiagnosisContext = {}): Diagnosis {
  return catalog(code, ctx) ?? UNKNOWN;
}

/** The context of a migration's failure: its hosts (name, id, protocol, domain, vendor) and VM. */
export async function diagnosisContext(
  app: App,
  migrationId: string,
  message: string | null,
): Promise<DiagnosisContext> {
  const m = await app.db.prisma.migration.findUnique({
    where: { id: migrationId },
    select: {
      vmRowId: true,
      vmName: true,
      sourceHost: { include: { migrationSettings: { select: { authenticationType: true } } } },
      destinationHost: { include: { migrationSettings: { select: { authenticationType: true } } } },
    },
  });
  if (!m) return { message };
  const host = (h: NonNullable<typeof m.destinationHost>) => ({
    name: h.name,
    apiId: encodeGlobalID("Host", h.id),
    domain: h.domain,
    cpuVendor: h.cpuVendor,
    authenticationType: h.migrationSettings?.authenticationType ?? null,
  });
  return {
    message,
    vm: { name: m.vmName, apiId: m.vmRowId ? encodeGlobalID("VirtualMachine", m.vmRowId) : null },
    source: host(m.sourceHost),
    destination: m.destinationHost ? host(m.destinationHost) : undefined,
    verdicts: await ruleVerdicts(app, m.vmRowId, m.sourceHost.id, m.destinationHost?.id ?? null),
  };
}

/** The @ferry/hyperv verdicts for the move as the hosts stand now (what preflight would say). */
async function ruleVerdicts(app: App, vmRowId: string | null, sourceId: string, destId: string | null) {
  if (!vmRowId || !destId) return undefined;
  const [vm, source, dest] = await Promise.all([
    loadVm(app, vmRowId),
    loadHostView(app, sourceId),
    loadHostView(app, destId),
  ]);
  if (!vm || !source || !dest) return undefined;
  return liveMoveRules(vm.view, hostFacts(source), hostFacts(dest), {
    smbTransport: source.settings?.performanceOption === "SMB",
    copiesStorage: false,
  });
}

/** diagnose() for a failure of a stored migration. */
export async function diagnoseMigration(
  app: App,
  migrationId: string,
  failure: { code: string; message: string | null },
): Promise<Diagnosis> {
  return diagnose(failure.code, await diagnosisContext(app, migrationId, failure.message));
}
