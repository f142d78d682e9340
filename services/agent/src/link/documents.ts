// The agent protocol's GraphQL documents (agent-only fields of the API).
export const ENROLL = /* GraphQL */ `
  mutation Enroll($input: EnrollAgentInput!) {
    enrollAgent(input: $input) { credential hostId errors { message } }
  }`;

export const REPORT_INVENTORY = /* GraphQL */ `
  mutation Report($input: AgentReportInventoryInput!) {
    agentReportInventory(input: $input) { changed errors { message } }
  }`;

export const COMMAND_RESULT = /* GraphQL */ `
  mutation Result($input: AgentCommandResultInput!) {
    agentCommandResult(input: $input) { status errors { message } }
  }`;

export const JOB_UPDATE = /* GraphQL */ `
  mutation Job($input: AgentJobUpdateInput!) {
    agentJobUpdate(input: $input) { accepted errors { message } }
  }`;

export const COMMANDS = /* GraphQL */ `
  subscription Commands {
    agentCommands { id type payload migrationId createdAt }
  }`;

export interface AgentCommand {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  migrationId: string | null;
  createdAt: string;
}
