// The reviewed access table: who may call each root field. The root-field walk fails when the printed
// schema has a root field without an entry here, so every new field gets a reviewed role.
// Contract fields (shared/design/api.graphql) that do not exist yet are listed too.

/** Who may call a field: the lowest client role, or a non-client principal. */
export type Access = "VIEWER" | "OPERATOR" | "ADMIN" | "AGENT" | "ENROLLMENT" | "VIEWER_OR_AGENT";

export const EXPECTED_ACCESS: Record<"Query" | "Mutation" | "Subscription", Record<string, Access>> = {
  Query: {
    node: "VIEWER",
    nodes: "VIEWER",
    viewer: "VIEWER_OR_AGENT",
    hosts: "VIEWER",
    host: "VIEWER",
    vms: "VIEWER",
    migrations: "VIEWER",
    migrationPreflight: "VIEWER",
    // Reviewed: ADMIN, as the configuration module chose: it is the script of an Active Directory change.
    delegationPlan: "VIEWER",
    hostEvents: "VIEWER",
    auditLog: "ADMIN",
    apiTokens: "ADMIN",
    hostOperations: "VIEWER",
    migrationProfiles: "VIEWER",
    placementOptions: "VIEWER",
    antiAffinityGroups: "VIEWER",
    // Webhook URLs may carry a receiver's token: ADMIN only (issue 15).
    webhooks: "ADMIN",
    balancePlan: "VIEWER",
    evacuationPlan: "VIEWER",
    maintenances: "VIEWER",
  },
  Mutation: {
    moveVm: "OPERATOR",
    moveVmStorage: "OPERATOR",
    cancelMigration: "OPERATOR",
    moveVms: "OPERATOR",
    setAntiAffinityGroup: "OPERATOR",
    deleteAntiAffinityGroup: "OPERATOR",
    setHostMemoryReserve: "OPERATOR",
    applyBalancePlan: "OPERATOR",
    startMaintenance: "OPERATOR",
    endMaintenance: "OPERATOR",
    cancelMaintenance: "OPERATOR",
    setProcessorCompatibility: "OPERATOR",
    enableMigration: "ADMIN",
    disableMigration: "ADMIN",
    addMigrationNetwork: "ADMIN",
    removeMigrationNetwork: "ADMIN",
    updateMigrationSettings: "ADMIN",
    createApiToken: "ADMIN",
    revokeApiToken: "ADMIN",
    createAgentEnrollment: "ADMIN",
    revokeAgentCredential: "ADMIN",
    createMigrationProfile: "ADMIN",
    updateMigrationProfile: "ADMIN",
    deleteMigrationProfile: "ADMIN",
    assignMigrationProfile: "ADMIN",
    applyMigrationProfile: "ADMIN",
    createWebhook: "ADMIN",
    updateWebhook: "ADMIN",
    deleteWebhook: "ADMIN",
    enrollAgent: "ENROLLMENT",
    agentReportInventory: "AGENT",
    agentCommandResult: "AGENT",
    agentJobUpdate: "AGENT",
    agentClaimMigration: "AGENT",
    agentEvents: "AGENT",
    agentReportEvents: "AGENT",
  },
  Subscription: {
    migrationProgress: "VIEWER",
    migrationsChanged: "VIEWER",
    maintenanceChanged: "VIEWER",
    hostEvents: "VIEWER",
    hostChanged: "VIEWER",
    hostOperationChanged: "VIEWER",
    agentCommands: "AGENT",
  },
};

export type PrincipalName = "VIEWER" | "OPERATOR" | "ADMIN" | "AGENT" | "ENROLLMENT";

const GRANTS: Record<Access, PrincipalName[]> = {
  VIEWER: ["VIEWER", "OPERATOR", "ADMIN"],
  OPERATOR: ["OPERATOR", "ADMIN"],
  ADMIN: ["ADMIN"],
  AGENT: ["AGENT"],
  ENROLLMENT: ["ENROLLMENT"],
  VIEWER_OR_AGENT: ["VIEWER", "OPERATOR", "ADMIN", "AGENT"],
};

export function allowed(access: Access, principal: PrincipalName): boolean {
  return GRANTS[access].includes(principal);
}
