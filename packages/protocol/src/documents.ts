// The agent's GraphQL documents, typed against schema.graphql (generated from documents/*.graphql by
// scripts/codegen.ts). Each is a TypedDocumentNode: its variables and result types come with it.
export * from "./generated/graphql.ts";

import {
  CommandResultDocument,
  CommandsDocument,
  EnrollDocument,
  JobUpdateDocument,
  ReportEventsDocument,
  ReportInventoryDocument,
} from "./generated/graphql.ts";

/** Every document the agent sends (the contract test validates each against schema.graphql). */
export const AGENT_DOCUMENTS = {
  Enroll: EnrollDocument,
  ReportInventory: ReportInventoryDocument,
  CommandResult: CommandResultDocument,
  JobUpdate: JobUpdateDocument,
  ReportEvents: ReportEventsDocument,
  Commands: CommandsDocument,
};

/** A mutation payload's `errors`: the API refused the change (nothing was applied). */
export interface PayloadError {
  __typename: string;
  message: string;
}
