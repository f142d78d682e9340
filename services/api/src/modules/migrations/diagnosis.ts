// Plain-language diagnosis and remedy for every failure code (seed troubleshooting + HYPERV.md).
export interface Diagnosis {
  diagnosis: string;
  remedy: string;
}

const CATALOG: Record<string, Diagnosis> = {
  MIGRATION_DISABLED: {
    diagnosis: "Live migration is not enabled on the source or the destination host.",
    remedy:
      "Enable it on both hosts: mutation { enableMigration(hosts: [<source id>, <destination id>]) { operations { host { name } status } } } (Enable-VMMigration).",
  },
  AUTHENTICATION_FAILED: {
    diagnosis:
      "The source host could not authenticate to the destination (0x8009030E). With Kerberos this means constrained delegation for cifs and Microsoft Virtual System Migration Service is missing or not yet in the ticket cache.",
    remedy:
      "Apply the entries from query { delegationPlan(hosts: [...]) } on a domain controller and refresh tickets (klist purge -li 0x3e7, or wait about 15 minutes), or switch both hosts to CredSSP with updateMigrationSettings.",
  },
  PROCESSOR_INCOMPATIBLE: {
    diagnosis:
      "The VM uses processor features the destination host does not have (different CPU vendor or generation).",
    remedy:
      "Shut the VM down, run setProcessorCompatibility(input: {vm, enabled: true}), start it, and move it again; or choose a destination with the same CPU vendor.",
  },
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
      "The VM is in a state that does not allow this operation (busy, or its configuration version is not supported by the destination).",
    remedy:
      "Wait for the VM's current operation to finish, or upgrade its configuration version (Update-VMVersion) for the destination.",
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
  BACKEND_UNAVAILABLE: {
    diagnosis: "The agent could not run PowerShell on the host.",
    remedy: "Check the agent's log and that the Hyper-V PowerShell module is installed.",
  },
};

const UNKNOWN: Diagnosis = {
  diagnosis: "Hyper-V reported an unexpected failure.",
  remedy: "Read Hyper-V's message and the host's Hyper-V-VMMS-Admin events (hostEvents) for details.",
};

export function diagnose(code: string): Diagnosis {
  return CATALOG[code] ?? UNKNOWN;
}
