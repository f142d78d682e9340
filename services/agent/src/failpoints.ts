// Fault injection for process-level tests: FERRY_AGENT_FAILPOINTS=<name>[,<name>...] makes the agent
// kill itself (SIGKILL: no cleanup, as a power loss) when it reaches that point. Unset in production.
const armed = new Set(
  (process.env.FERRY_AGENT_FAILPOINTS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
);

/** Named points: "move-started" = Hyper-V accepted Move-VM, before the job id is written down. */
export type Failpoint = "move-started";

export function failpoint(name: Failpoint): void {
  if (armed.has(name)) process.kill(process.pid, "SIGKILL");
}
