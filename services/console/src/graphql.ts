// gql.tada: every document is typed against the API's printed schema (generated/graphql-env.d.ts, written
// from ../../schema.graphql by scripts/introspection.mjs), so a breaking schema change fails the build.
import { initGraphQLTada } from "gql.tada";
import type { introspection } from "./generated/graphql-env.d.ts";

export const graphql = initGraphQLTada<{
  introspection: introspection;
  // Fragments describe what a component reads; the console does not hide their fields from parents.
  disableMasking: true;
  // The contract serializes 64-bit integers as decimal strings (JSON numbers lose precision above 2^53).
  scalars: { BigInt: string; DateTime: string; JSON: unknown };
}>();

export type { ResultOf, VariablesOf } from "gql.tada";
