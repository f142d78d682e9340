#!/usr/bin/env -S node --import tsx
// ferry-agent: the Hyper-V host agent. `ferry-agent --help` lists the options.
import { parseArgs } from "node:util";
import { createAgent } from "./agent.ts";
import { createBackend } from "./backends/create.ts";

const USAGE = `ferry-agent --api <url> [--enrollment-token <t>] [--state-dir <dir>]
            [--backend simulator|powershell] [--ps-module <path>] [--pwsh <path>]
            [--sim-world <file>] [--sim-host <name>] [--sim-seed <n>] [--sim-hosts <n>] [--sim-time-scale <x>]

  --api               Ferry API base URL, e.g. https://ferry.example:4000 (comma-separated for replicas)
  --enrollment-token  single-use token from createAgentEnrollment (first start only)
  --state-dir         where the credential and command journal live (default ./.ferry-agent)
  --backend           powershell on a Hyper-V host (default), simulator for demos and tests
  --ps-module         extra PowerShell module imported at session start (tests: stub Hyper-V)
  --pwsh              PowerShell executable (default: $NODE_POWERSHELL or pwsh)
  --sim-world         simulator: world file shared by a simulated fleet (created if absent)
  --sim-host          simulator: which host of the world this agent is`;

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function number(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} must be a positive number`);
  return n;
}

async function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        api: { type: "string" },
        "enrollment-token": { type: "string" },
        "state-dir": { type: "string", default: "./.ferry-agent" },
        backend: { type: "string", default: "powershell" },
        "ps-module": { type: "string" },
        pwsh: { type: "string" },
        "sim-world": { type: "string" },
        "sim-host": { type: "string" },
        "sim-seed": { type: "string" },
        "sim-hosts": { type: "string" },
        "sim-time-scale": { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const api = ((values.api as string | undefined) ?? "")
    .split(",")
    .map((u) => u.trim())
    .filter(Boolean);
  if (api.length === 0 || !api.every((u) => /^https?:\/\//.test(u))) {
    fail("--api must be an http:// or https:// URL (or several, comma-separated, for API replicas)");
  }
  const backendName = values.backend as string;
  if (backendName !== "simulator" && backendName !== "powershell")
    fail("--backend must be simulator or powershell");

  const backend = await createBackend({
    backend: backendName,
    psModule: values["ps-module"] as string | undefined,
    pwsh: values.pwsh as string | undefined,
    simWorld: values["sim-world"] as string | undefined,
    simHost: values["sim-host"] as string | undefined,
    simSeed: number(values["sim-seed"] as string | undefined, "sim-seed"),
    simHosts: number(values["sim-hosts"] as string | undefined, "sim-hosts"),
    simTimeScale: number(values["sim-time-scale"] as string | undefined, "sim-time-scale"),
  });
  const agent = await createAgent({
    apiUrl: api,
    stateDir: values["state-dir"] as string,
    backend,
    enrollmentToken: values["enrollment-token"] as string | undefined,
    onFatal: () => process.exit(3),
  });
  await agent.start();
  const shutdown = async () => {
    await agent.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
}

main().catch((error) => {
  console.error(`ferry-agent: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
