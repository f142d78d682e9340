// The agent's GraphQL documents, typed against schema.graphql (generated from documents/*.graphql by
// scripts/codegen.ts). Each is a TypedDocumentNode: its variables and result types come with it.
export * from "./generated/graphql.ts";

import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import * as generated from "./generated/graphql.ts";

/**
 * Every document the agent sends, by operation name (the contract test validates each against
 * schema.graphql). Collected from the generated module rather than imported by name, so the API can
 * still start (and print a changed schema) before the documents are regenerated.
 */
export const AGENT_DOCUMENTS: Record<
  string,
  TypedDocumentNode<unknown, Record<string, unknown>>
> = Object.fromEntries(
  Object.entries(generated)
    .filter(([name]) => name.endsWith("Document"))
    .map(([name, document]) => [
      name.slice(0, -"Document".length),
      document as TypedDocumentNode<unknown, Record<string, unknown>>,
    ]),
);

/** A mutation payload's `errors`: the API refused the change (nothing was applied). */
export interface PayloadError {
  __typename: string;
  message: string;
}
