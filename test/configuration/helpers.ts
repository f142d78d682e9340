// Shared queries and helpers for the configuration tests (through GraphQL, simulated agents).
import { expect } from "vitest";
import { eventually, type TestApi } from "../helpers/api.ts";

export const HOSTS_GQL = /* GraphQL */ `{
  hosts { edges { node { id name
    migrationSettings { enabled authenticationType performanceOption maximumVirtualMachineMigrations
      maximumStorageMigrations useAnyNetworkForMigration networks { subnet priority } }
  } } }
}`;

export interface HostSettings {
  id: string;
  name: string;
  migrationSettings: {
    enabled: boolean;
    authenticationType: string;
    performanceOption: string;
    maximumVirtualMachineMigrations: number;
    maximumStorageMigrations: number;
    useAnyNetworkForMigration: boolean;
    networks: { subnet: string; priority: number | null }[];
  };
}

export async function hosts(api: TestApi): Promise<HostSettings[]> {
  const data = await api.gqlOk<{ hosts: { edges: { node: HostSettings }[] } }>(HOSTS_GQL);
  return data.hosts.edges.map((e) => e.node);
}

export async function hostByName(api: TestApi, name: string): Promise<HostSettings> {
  return (await hosts(api)).find((h) => h.name === name)!;
}

export const OPS_FIELDS = "operations { id kind status errorCode errorMessage host { name } }";
export const ERRORS_FIELDS =
  "errors { __typename message ... on ValidationError { field } ... on NotFoundError { ref } }";

export interface Operation {
  id: string;
  kind: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  host: { name: string };
}

/** Waits until every operation is SUCCEEDED or FAILED; returns them. */
export async function settled(api: TestApi, ids: string[]): Promise<Operation[]> {
  return eventually(
    async () => {
      const data = await api.gqlOk<{ nodes: Operation[] }>(
        `query($ids: [ID!]!) { nodes(ids: $ids) { ... on HostOperation { id kind status errorCode errorMessage host { name } } } }`,
        { ids },
      );
      return data.nodes.every((o) => o.status === "SUCCEEDED" || o.status === "FAILED") ? data.nodes : null;
    },
    // A ceiling (see eventually): under load ~20 an operation took longer than 20 s to settle.
    120_000,
    "the host operations to finish",
  );
}

/** Runs a configuration mutation that must be accepted and waits until each operation SUCCEEDED. */
export async function applyOk(
  api: TestApi,
  mutation: string,
  variables: Record<string, unknown>,
): Promise<Operation[]> {
  const data = await api.gqlOk<Record<string, { operations: Operation[] | null; errors: unknown[] | null }>>(
    mutation,
    variables,
  );
  const payload = Object.values(data)[0]!;
  expect(payload.errors).toBeNull();
  const ops = await settled(
    api,
    payload.operations!.map((o) => o.id),
  );
  for (const op of ops) expect(op, JSON.stringify(op)).toMatchObject({ status: "SUCCEEDED" });
  return ops;
}
