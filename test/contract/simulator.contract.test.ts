// The backend contract against the simulator (in memory, real clock).

import { SimWorld } from "@ferry/agent/simulator";
import type { HyperVBackend } from "@ferry/agent/testing";
import { type ContractHarness, defineBackendContract } from "./backend-contract.ts";

defineBackendContract(
  "simulator",
  async (): Promise<ContractHarness> => ({
    async world(def) {
      const sim = SimWorld.create(def);
      const backends = new Map<string, HyperVBackend>();
      const backend = (host: string) => {
        let b = backends.get(host);
        if (!b) {
          b = sim.backend(host);
          backends.set(host, b);
        }
        return b;
      };
      return {
        backend,
        async injectFault(vmName, code) {
          sim.injectFault(vmName, code);
        },
        async restart(host) {
          await backends.get(host)?.close();
          backends.delete(host);
          return backend(host);
        },
      };
    },
    async close() {},
  }),
);
