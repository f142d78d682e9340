// Worlds for migration tests, built from the simulator's test fixtures.

import type { WorldDefinition } from "@ferry/agent/simulator";
import { GiB, testHost, testVm } from "../helpers/sim-world.ts";

export const MOVE_GQL = /* GraphQL */ `
  mutation($input: MoveVmInput!) {
    moveVm(input: $input) {
      migration { id state kind vmName queuePosition }
      errors { __typename message ... on ValidationError { field } ... on PreflightFailedError { report { ok checks { name status message remedy } } } }
    }
  }`;

export const MIGRATION_GQL = /* GraphQL */ `
  query($id: ID!) {
    node(id: $id) {
      ... on Migration {
        id state kind vmName percentComplete startedAt finishedAt durationSeconds queuePosition requestedBy
        sourceHost { name } destinationHost { name }
        vm { name host { name } }
        failure { code message eventId diagnosis remedy }
        timeline { at percentComplete state message }
      }
    }
  }`;

/** HV1 → HV2 (both Intel, CredSSP, enabled, limit `limit`), `count` small VMs on shared storage on HV1. */
export function pairWorld(count: number, limit = 2, timeScale = 8): WorldDefinition {
  const hv1 = testHost("HV1", 11);
  const hv2 = testHost("HV2", 12);
  for (const h of [hv1, hv2]) h.settings.maximumVirtualMachineMigrations = limit;
  hv1.vms = Array.from({ length: count }, (_, i) =>
    testVm(`vm-${i + 1}`, `aaaaaaaa-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, {
      memoryAssignedBytes: 1n * GiB,
      memoryStartupBytes: 1n * GiB,
    }),
  );
  return {
    seed: 5,
    timeScale,
    hosts: [hv1, hv2],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 10_000n * GiB }],
    delegations: { HV1: [], HV2: [] },
  };
}

export const PREFLIGHT_GQL = /* GraphQL */ `
  query($input: MoveVmInput!) { migrationPreflight(input: $input) { ok checks { name status message remedy } } }`;

export const CANCEL_GQL = /* GraphQL */ `
  mutation($id: ID!) { cancelMigration(id: $id) { migration { id state } errors { __typename message } } }`;

export interface FleetIds {
  hosts: Record<string, string>;
  vms: Record<string, string>;
}

/** Global ids of every host and VM by name. */
export async function fleetIds(gqlOk: <T>(q: string) => Promise<T>): Promise<FleetIds> {
  const data = await gqlOk<{
    hosts: {
      edges: {
        node: { id: string; name: string; vms: { edges: { node: { id: string; name: string } }[] } };
      }[];
    };
  }>("{ hosts(first: 20) { edges { node { id name vms(first: 200) { edges { node { id name } } } } } } }");
  const ids: FleetIds = { hosts: {}, vms: {} };
  for (const { node } of data.hosts.edges) {
    ids.hosts[node.name] = node.id;
    for (const vm of node.vms.edges) ids.vms[vm.node.name] = vm.node.id;
  }
  return ids;
}
