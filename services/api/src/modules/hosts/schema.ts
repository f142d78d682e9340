// Host inventory types and queries. Resolvers stay thin: the prisma plugin plans the queries.
import { builder } from "../../builder.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { isAgentLive } from "../agents/presence.ts";
import { VirtualMachineConnection, VmFilter, vmWhere } from "../vms/schema.ts";

export const CpuVendor = builder.enumType("CpuVendor", {
  description:
    "Processor manufacturer. Running, paused or saved VMs never move live between different vendors (Intel and AMD), with or without processor compatibility mode, which only hides newer features within one vendor; an Off VM can move anywhere.",
  values: {
    INTEL: { description: "Intel" },
    AMD: { description: "AMD" },
    OTHER: { description: "Unknown or other" },
  },
});

export const MigrationAuthenticationType = builder.enumType("MigrationAuthenticationType", {
  description: "Set-VMHost -VirtualMachineMigrationAuthenticationType.",
  values: {
    CREDSSP: {
      description:
        "CredSSP: delegates the credentials of a user signed in on the source host; Ferry's agent runs as a service without one, so moves may fail (Host.readiness warns). Kerberos is the unattended path.",
    },
    KERBEROS: {
      description: "Kerberos: needs constrained delegation in Active Directory (see delegationPlan).",
    },
  },
});

export const MigrationPerformanceOption = builder.enumType("MigrationPerformanceOption", {
  description: "Set-VMHost -VirtualMachineMigrationPerformanceOption.",
  values: {
    TCPIP: { description: "Plain TCP/IP." },
    COMPRESSION: { description: "Compress memory before sending: about half the time of TCPIP, more CPU." },
    SMB: { description: "SMB Direct / RDMA when the adapters support it: fastest." },
  },
});

export const MigrationNetworkType = builder.prismaObject("MigrationNetwork", {
  description: "A network live migration may use (Add-VMMigrationNetwork).",
  fields: (t) => ({
    subnet: t.exposeString("subnet", { description: "IPv4 or IPv6 CIDR, e.g. 10.0.1.0/24." }),
    priority: t.exposeInt("priority", {
      nullable: true,
      description: "Lower is preferred; null when unset.",
    }),
  }),
});

builder.prismaObject("MigrationSettings", {
  description:
    "How the host takes part in live migration, as Get-VMHost and Get-VMMigrationNetwork report it.",
  fields: (t) => ({
    enabled: t.exposeBoolean("enabled", {
      description: "VirtualMachineMigrationEnabled (Hyper-V's default: false).",
    }),
    authenticationType: t.expose("authenticationType", {
      type: MigrationAuthenticationType,
      description: "Authentication for incoming and outgoing moves.",
    }),
    performanceOption: t.expose("performanceOption", {
      type: MigrationPerformanceOption,
      description: "Transport for memory and storage.",
    }),
    maximumVirtualMachineMigrations: t.exposeInt("maximumVirtualMachineMigrations", {
      description: "Simultaneous live migrations this host allows; Ferry's queue never exceeds it.",
    }),
    maximumStorageMigrations: t.exposeInt("maximumStorageMigrations", {
      description: "Simultaneous storage migrations this host allows; Ferry's queue never exceeds it.",
    }),
    useAnyNetworkForMigration: t.exposeBoolean("useAnyNetworkForMigration", {
      description: "True: any available network; false: only the networks listed.",
    }),
    networks: t.field({
      type: [MigrationNetworkType],
      description: "Migration networks in priority order.",
      select: (_args, _ctx, nested) => ({
        host: {
          select: { migrationNetworks: nested({ orderBy: [{ priority: "asc" }, { subnet: "asc" }] }) },
        },
      }),
      resolve: (s) => s.host.migrationNetworks,
    }),
  }),
});

builder.prismaObject("FirewallRule", {
  description: "A Windows Firewall rule relevant to migration (Get-NetFirewallRule).",
  fields: (t) => ({
    name: t.exposeString("name", {
      description: "Rule Name, e.g. VIRT-MIGL-In-TCP-NoScope (not localized: match on this).",
    }),
    displayName: t.exposeString("displayName", { description: "Localized display name." }),
    enabled: t.exposeBoolean("enabled", { description: "Whether the rule is enabled." }),
    protocol: t.exposeString("protocol", { description: "TCP or UDP." }),
    localPort: t.exposeString("localPort", { description: "Local port(s), e.g. 6600." }),
  }),
});

builder.prismaObject("NetworkAdapter", {
  description: "A physical network adapter of the host.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "Adapter name." }),
    linkSpeedBps: t.expose("linkSpeedBps", { type: "BigInt", description: "Link speed in bits per second." }),
    rdmaCapable: t.exposeBoolean("rdmaCapable", { description: "RDMA capable (SMB Direct)." }),
    ipAddresses: t.exposeStringList("ipAddresses", { description: "Assigned IP addresses." }),
  }),
});

const AgentStatus = builder
  .objectRef<{
    agentConnected: boolean;
    agentLastSeenAt: Date | null;
    agentVersion: string | null;
    agentBackend: string | null;
    inventoryReportedAt: Date | null;
  }>("AgentStatus")
  .implement({
    description: "The Ferry agent of a host.",
    fields: (t) => ({
      connected: t.boolean({
        description: "The agent holds a live connection to the API now.",
        resolve: (h) => isAgentLive(h),
      }),
      lastSeenAt: t.field({
        type: "DateTime",
        nullable: true,
        description: "Last time the agent was heard from.",
        resolve: (h) => h.agentLastSeenAt,
      }),
      version: t.string({ nullable: true, description: "Agent version.", resolve: (h) => h.agentVersion }),
      backend: t.string({
        nullable: true,
        description: "simulator or powershell.",
        resolve: (h) => h.agentBackend,
      }),
      inventoryReportedAt: t.field({
        type: "DateTime",
        nullable: true,
        description: "When the inventory shown was last reported.",
        resolve: (h) => h.inventoryReportedAt,
      }),
    }),
  });

builder.prismaObject("Volume", {
  description: "A local volume of the host (Get-Volume) where moved storage can land.",
  fields: (t) => ({
    root: t.exposeString("root", { description: "Root path, e.g. D:\\." }),
    freeBytes: t.expose("freeBytes", { type: "BigInt", description: "Free space in bytes." }),
  }),
});

export const HostFilter = builder.inputType("HostFilter", {
  description: "Filters for hosts; all given conditions must hold.",
  fields: (t) => ({
    nameContains: t.string({ description: "Case-insensitive substring of the host name." }),
    connected: t.boolean({ description: "Only hosts whose agent is (or is not) connected." }),
    cpuVendor: t.field({ type: CpuVendor, description: "Only hosts with this CPU vendor." }),
    migrationEnabled: t.boolean({ description: "Only hosts with live migration enabled (or disabled)." }),
  }),
});

export function hostWhere(filter: typeof HostFilter.$inferInput | null | undefined): Prisma.HostWhereInput {
  if (!filter) return {};
  return {
    ...(filter.nameContains ? { name: { contains: filter.nameContains, mode: "insensitive" } } : {}),
    ...(filter.connected != null ? { agentConnected: filter.connected } : {}),
    ...(filter.cpuVendor ? { cpuVendor: filter.cpuVendor } : {}),
    ...(filter.migrationEnabled != null ? { migrationSettings: { enabled: filter.migrationEnabled } } : {}),
  };
}

export const HostType = builder.prismaNode("Host", {
  description: "A Hyper-V host running a Ferry agent.",
  id: { field: "id" },
  fields: (t) => ({
    name: t.exposeString("name", { description: "Host (computer) name." }),
    fqdn: t.exposeString("fqdn", { nullable: true, description: "Fully qualified domain name." }),
    domain: t.exposeString("domain", {
      nullable: true,
      description: "Active Directory domain; null for a workgroup host.",
    }),
    cpuVendor: t.expose("cpuVendor", { type: CpuVendor, description: "Processor vendor." }),
    cpuModel: t.exposeString("cpuModel", { description: "Processor model name." }),
    logicalProcessorCount: t.exposeInt("logicalProcessorCount", { description: "Logical processors." }),
    memoryCapacityBytes: t.expose("memoryCapacityBytes", {
      type: "BigInt",
      description: "Installed memory in bytes.",
    }),
    memoryAvailableBytes: t.expose("memoryAvailableBytes", {
      type: "BigInt",
      description: "Memory free for more VMs, in bytes.",
    }),
    supportedVmVersions: t.exposeStringList("supportedVmVersions", {
      description: "VM configuration versions this host runs.",
    }),
    virtualMachinePath: t.exposeString("virtualMachinePath", {
      description: "Default folder for VM configuration.",
    }),
    virtualHardDiskPath: t.exposeString("virtualHardDiskPath", {
      description: "Default folder for virtual disks.",
    }),
    agent: t.field({
      type: AgentStatus,
      description: "The host's agent: connected, last seen, version.",
      select: {
        agentConnected: true,
        agentLastSeenAt: true,
        agentVersion: true,
        agentBackend: true,
        inventoryReportedAt: true,
      },
      resolve: (h) => h,
    }),
    migrationSettings: t.relation("migrationSettings", {
      nullable: false as unknown as true,
      description: "Live migration settings (Get-VMHost).",
    }),
    virtualSwitches: t.field({
      type: ["String"],
      description: "Names of the host's virtual switches.",
      select: { virtualSwitches: { select: { name: true }, orderBy: { name: "asc" } } },
      resolve: (h) => h.virtualSwitches.map((s) => s.name),
    }),
    networkAdapters: t.relation("networkAdapters", {
      description: "Physical network adapters.",
      query: { orderBy: { name: "asc" } },
    }),
    volumes: t.relation("volumes", {
      description: "Local volumes and their free space.",
      query: { orderBy: { root: "asc" } },
    }),
    firewallRules: t.relation("firewallRules", {
      description: "Firewall rules relevant to migration.",
      query: { orderBy: { name: "asc" } },
    }),
    vms: t.relatedConnection(
      "vms",
      {
        cursor: "id",
        totalCount: true,
        description: "VMs on this host, by name.",
        args: { filter: t.arg({ type: VmFilter, description: "Filter the VMs." }) },
        query: (args) => ({ where: vmWhere(args.filter), orderBy: [{ name: "asc" }, { id: "asc" }] }),
      },
      VirtualMachineConnection,
    ),
  }),
});
