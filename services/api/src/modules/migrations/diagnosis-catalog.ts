// The diagnosis of each failure code, given what is known about the move's hosts. When a @ferry/hyperv
// rule (the one preflight and readiness use) reproduces the failure now, its finding and remedy lead.
// Hyper-V facts and sources: docs/hyperv.md.
import type { Verdict } from "@ferry/hyperv";
export interface Diagnosis {
  diagnosis: string;
  remedy: string;
}

export interface DiagnosisHost {
  name: string;
  /** Relay global id, as the API's mutations take it. */
  apiId: string;
  domain: string | null;
  cpuVendor: string;
  authenticationType: string | null;
}

export interface DiagnosisContext {
  /** Hyper-V's message, when known. */
  message?: string | null;
  vm?: { name: string; apiId: string | null };
  source?: DiagnosisHost;
  destination?: DiagnosisHost;
  /** The move's rule verdicts as the hosts stand now (liveMoveRules), when the move is known. */
  verdicts?: Verdict[];
}

const ids = (hosts: (DiagnosisHost | undefined)[]) => {
  const known = hosts.filter((h): h is DiagnosisHost => !!h);
  return known.length
    ? `[${known.map((h) => JSON.stringify(h.apiId)).join(", ")}]`
    : "[<source id>, <destination id>]";
};
const names = (hosts: (DiagnosisHost | undefined)[]) =>
  hosts
    .filter((h): h is DiagnosisHost => !!h)
    .map((h) => h.name)
    .join(" and ") || "both hosts";

function authentication(c: DiagnosisContext): Diagnosis {
  const { source: s, destination: d } = c;
  const code = "(0x8009030E)";
  if (!s?.authenticationType) {
    return {
      diagnosis: `The source host could not authenticate to the destination ${code}.`,
      remedy:
        "Check the hosts' authentication (Host.migrationSettings): with Kerberos apply the entries of query { delegationPlan(hosts: [...]) { script } } and refresh tickets (klist purge -li 0x3e7); with CredSSP a user must be signed in on the source.",
    };
  }
  const workgroup = !s.domain || (d && !d.domain);
  const mixed = d?.authenticationType && d.authenticationType !== s.authenticationType;
  const mixNote = mixed
    ? ` ${d!.name} is set to ${d!.authenticationType}: whether it accepts ${s.authenticationType} is unconfirmed.`
    : "";
  if (s.authenticationType === "KERBEROS") {
    if (workgroup) {
      return {
        diagnosis: `${s.name} uses Kerberos, which needs Active Directory, but ${names([s, d].filter((h) => h && !h.domain))} is not in a domain ${code}.${mixNote}`,
        remedy: `Join both hosts to one domain; until then only CredSSP works, started from a session signed in on ${s.name}.`,
      };
    }
    return {
      diagnosis: `${s.name} uses Kerberos: its constrained delegation to ${d?.name ?? "the destination"} for cifs and Microsoft Virtual System Migration Service is missing or not yet in the ticket cache ${code}.${mixNote}`,
      remedy: `Apply the entries of query { delegationPlan(hosts: ${ids([s, d])}) { script } } on a domain controller, then klist purge -li 0x3e7 on ${s.name} (or wait about 15 minutes).${mixed ? ` Set both to Kerberos: updateMigrationSettings(input: {hosts: ${ids([s, d])}, authenticationType: KERBEROS}).` : ""}`,
    };
  }
  return {
    diagnosis: `${s.name} uses CredSSP, which delegates the credentials of a user signed in on ${s.name}; Ferry's agent runs as a service without such a sign-in ${code}.${mixNote}`,
    remedy: workgroup
      ? `Without Active Directory, start the move from a session signed in on ${s.name} (console, Remote Desktop or remote PowerShell), or join both hosts to one domain and use Kerberos.`
      : `Use Kerberos with constrained delegation, which needs no sign-in: apply query { delegationPlan(hosts: ${ids([s, d])}) { script } } on a domain controller, then updateMigrationSettings(input: {hosts: ${ids([s, d])}, authenticationType: KERBEROS}).`,
  };
}

function processor(c: DiagnosisContext): Diagnosis {
  const { source: s, destination: d, vm } = c;
  const crossVendor = s && d && s.cpuVendor !== d.cpuVendor;
  const base =
    "Live moves between CPU vendors (Intel and AMD) are impossible, with or without processor compatibility mode, which only hides newer features within one vendor.";
  if (crossVendor) {
    return {
      diagnosis: `${s!.name} is ${s!.cpuVendor} and ${d!.name} is ${d!.cpuVendor}. ${base}`,
      remedy: `Choose a ${s!.cpuVendor} destination, or shut ${vm?.name ?? "the VM"} down and move it while it is Off.`,
    };
  }
  return {
    diagnosis: `The VM uses processor features the destination does not have (a newer CPU generation on the source). ${base}`,
    remedy: `Within one vendor: shut the VM down, run setProcessorCompatibility(input: {vm: ${JSON.stringify(vm?.apiId ?? "<vm id>")}, enabled: true}), start it and move it again. Across vendors: choose a destination with the source's CPU vendor.`,
  };
}

function backend(c: DiagnosisContext): Diagnosis {
  const host = c.source?.name ?? "the source host";
  if (/Virtual Machine Management service/i.test(c.message ?? "")) {
    return {
      diagnosis: `The Hyper-V Virtual Machine Management service (vmms) on ${host} is not running or not responding.`,
      remedy: `On ${host}: Get-Service vmms, then Start-Service vmms (or Restart-Service vmms); check the Hyper-V-VMMS-Admin log if it stops again.`,
    };
  }
  return {
    diagnosis: `The agent could not run the Hyper-V PowerShell module on ${host}.`,
    remedy:
      "Check the agent's log and that the Hyper-V PowerShell module is installed (Get-Module -ListAvailable Hyper-V).",
  };
}

const FIXED: Record<string, Diagnosis | ((c: DiagnosisContext) => Diagnosis)> = {
  MIGRATION_DISABLED: (c) => ({
    diagnosis: "Live migration is not enabled on the source or the destination host.",
    remedy: `Enable it on ${names([c.source, c.destination])}: mutation { enableMigration(hosts: ${ids([c.source, c.destination])}) { operations { host { name } status } } } (Enable-VMMigration).`,
  }),
  NETWORK_UNREACHABLE: (c) => ({
    diagnosis:
      "A host has no usable migration network: UseAnyNetworkForMigration is off and none of its migration networks holds one of its addresses, so it can neither send nor receive a live migration.",
    remedy: `Add a migration network holding the host's address (addMigrationNetwork(input: {hosts: ${ids([c.source, c.destination])}, subnet: "<subnet>", priority: 1})) or allow any network (updateMigrationSettings useAnyNetworkForMigration: true). Host.readiness shows which host (migrationNetworks).`,
  }),
  AUTHENTICATION_FAILED: authentication,
  PROCESSOR_INCOMPATIBLE: processor,
  SWITCH_NOT_FOUND: {
    diagnosis:
      "The destination host has no virtual switch with the name the VM's network adapter uses (event 21125 / Compare-VM 33012).",
    remedy:
      "Create a virtual switch with the same name on the destination (New-VMSwitch), or connect the VM's adapter to a switch that exists on both hosts.",
  },
  INSUFFICIENT_MEMORY: {
    diagnosis: "The destination host does not have enough free memory for the VM (0x800705AA).",
    remedy:
      "Free memory on the destination (move or stop other VMs), choose another destination, or lower the VM's memory.",
  },
  NETWORK_REFUSED: {
    diagnosis:
      "The destination refused the migration connection (0x8007274D): the live-migration firewall rule is disabled or TCP 6600 is blocked.",
    remedy:
      "Enable the firewall rule VIRT-MIGL-In-TCP-NoScope (Hyper-V (MIG-TCP-In), TCP 6600) on the destination: Enable-NetFirewallRule -Name VIRT-MIGL-In-TCP-NoScope.",
  },
  NETWORK_TIMEOUT: {
    diagnosis:
      "The migration connection timed out (0x8007274C): the destination is unreachable on the migration network.",
    remedy:
      "Check routing and firewalls between the hosts' migration networks, and that both hosts list a common migration subnet.",
  },
  NETWORK_RESET: {
    diagnosis: "The migration connection was reset (0x80072746): a network interruption during the transfer.",
    remedy: "Check the migration network's stability (NIC teaming, switch ports) and retry.",
  },
  NETWORK_ACCESS_DENIED: {
    diagnosis: "The connection was denied (0x8007271D) by a firewall or IPsec policy.",
    remedy: "Allow TCP 6600 (and 445 for SMB and storage moves) between the hosts.",
  },
  PATH_NOT_FOUND: {
    diagnosis:
      "A path the VM needs does not exist on the destination (event 20413): host-local storage moved without its files, or a wrong destination path.",
    remedy:
      "Move the VM with includeStorage and a destinationStoragePath on the destination, or keep its files on storage both hosts reach (SMB share, cluster shared volume).",
  },
  MIGRATION_LIMIT_REACHED: {
    diagnosis:
      "Hyper-V refused the move because the host's simultaneous migration limit was reached (event 21501).",
    remedy:
      "Ferry queues moves within each host's limits; this means something outside Ferry is migrating too. Wait, or raise the limit with updateMigrationSettings.",
  },
  VM_NOT_FOUND: {
    diagnosis: "The VM no longer exists on the source host.",
    remedy: "Refresh the inventory; the VM may have been deleted or moved outside Ferry.",
  },
  INVALID_VM_STATE: {
    diagnosis:
      "The VM is in a state that does not allow this operation: busy, clustered, or its configuration version is not supported by the destination.",
    remedy:
      "Wait for the VM's current operation to finish; move a clustered VM through its cluster (Move-ClusterVirtualMachineRole); for a configuration version the destination lacks, choose a destination that supports it (a version can only be raised, never lowered).",
  },
  INVALID_PARAMETER: {
    diagnosis:
      "Hyper-V rejected a parameter of the move (destination host unknown, storage path missing, or VHD file names differ).",
    remedy: "Check the destination host name resolves from the source, and the storage paths.",
  },
  CANCELLED: { diagnosis: "The move was cancelled.", remedy: "Start it again when ready." },
  AGENT_LOST: {
    diagnosis:
      "The source host's agent disconnected during the migration and did not come back in time, so its outcome is unknown.",
    remedy:
      "Check the Ferry agent service on the source host and the VM's state there; the inventory shows where the VM is once the agent returns.",
  },
  JOB_LOST: {
    diagnosis:
      "The migration was running, but its source host's agent, although connected, follows no Hyper-V job for it and Hyper-V has none running, so its outcome is unknown.",
    remedy:
      "Check the VM on the source host (Get-VM, Get-VMMigration history); the inventory shows where the VM is. If the job is found running again, Ferry reopens the migration.",
  },
  BACKEND_UNAVAILABLE: backend,
};

export function catalog(code: string, ctx: DiagnosisContext): Diagnosis | null {
  const entry = FIXED[code];
  if (!entry) return null;
  const base = typeof entry === "function" ? entry(ctx) : entry;
  const rule = ctx.verdicts?.find((v) => v.code === code && v.status !== "PASS" && v.remedy);
  return rule ? { diagnosis: `${base.diagnosis} Now: ${rule.message}`, remedy: rule.remedy! } : base;
}
