// The placement tests' fleet: HV1 holds 24 small VMs and two big ones, HV2 is nearly full, HV3 has
// a 10 GiB VM, HV4 (the emptiest) one small VM, HV5 is AMD (no live move from Intel). Shared storage.
import type { WorldDefinition } from "@ferry/agent/simulator";
import { GiB, testHost, testVm } from "../helpers/sim-world.ts";

const guid = (n: number) => `eeeeeeee-0000-4000-8000-${String(n).padStart(12, "0")}`;

export function placementWorld(timeScale = 20): WorldDefinition {
  const [hv1, hv2, hv3, hv4, hv5] = [1, 2, 3, 4, 5].map((n) => testHost(`HV${n}`, 10 + n));
  for (const h of [hv1, hv2, hv3, hv4, hv5]) h!.settings.maximumVirtualMachineMigrations = 4;
  hv5!.facts.cpuVendor = "AMD";
  const small = (i: number) =>
    testVm(`vm-${String(i).padStart(2, "0")}`, guid(i), {
      memoryAssignedBytes: 1n * GiB,
      memoryStartupBytes: 1n * GiB,
    });
  const big = (name: string, n: number, gib: bigint) =>
    testVm(name, guid(n), { memoryAssignedBytes: gib * GiB, memoryStartupBytes: gib * GiB });
  // 64 GiB hosts, 2 GiB kept by the simulated management OS: HV1 62 - 24 - 32 = 6 GiB free.
  hv1!.vms = [
    ...Array.from({ length: 24 }, (_, i) => small(i + 1)),
    big("big-1", 101, 16n),
    big("big-2", 102, 16n),
  ];
  // HV2: 62 - 36 = 26 GiB free: one 16 GiB VM fits, two do not.
  hv2!.vms = [big("filler", 103, 36n)];
  hv3!.vms = [big("other", 105, 10n)];
  hv4!.vms = [big("peer", 104, 1n)];
  return {
    seed: 7,
    timeScale,
    hosts: [hv1!, hv2!, hv3!, hv4!, hv5!],
    sharedVolumes: [{ root: "\\\\fs01\\vms", freeBytes: 10_000n * GiB }],
    delegations: { HV1: [], HV2: [], HV3: [], HV4: [], HV5: [] },
  };
}

export const OPTIONS_GQL = /* GraphQL */ `
  query($vm: ID!) { placementOptions(vm: $vm) { host { name } ok score reasons checks { name status message } } }`;

export const MOVE_VMS_GQL = /* GraphQL */ `
  mutation($input: MoveVmsInput!) {
    moveVms(input: $input) {
      results {
        index vm
        migration { id state scheduled notBefore placementReason vmName destinationHost { name } }
        errors { __typename message ... on ValidationError { field } ... on PreflightFailedError { report { checks { name status message } } } }
      }
      errors { __typename message }
    }
  }`;

export const MOVE_AUTO_GQL = /* GraphQL */ `
  mutation($input: MoveVmInput!) {
    moveVm(input: $input) {
      migration { id state scheduled notBefore placementReason destinationHost { name } }
      errors { __typename message ... on PreflightFailedError { report { checks { name status message } } } }
    }
  }`;
