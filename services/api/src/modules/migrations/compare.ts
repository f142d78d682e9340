// Asks the source agent for Hyper-V's own Compare-VM report, with a bounded wait.
import type { App } from "../../context.ts";
import { awaitCommand, issueCommand } from "../agents/commands.ts";

const COMPARE_TIMEOUT_MS = 8_000;

export type CompareResult = { issues: { message: string; messageId: number }[] } | "unavailable";

export async function compareOnSource(
  app: App,
  input: { sourceHostId: string; vmGuid: string; destinationHost: string; requestedBy: string },
): Promise<CompareResult> {
  const command = await issueCommand(app, {
    hostId: input.sourceHostId,
    type: "COMPARE_VM",
    payload: { vmId: input.vmGuid, destinationHost: input.destinationHost },
    requestedBy: input.requestedBy,
  });
  const answered = await awaitCommand(app, command.id, COMPARE_TIMEOUT_MS);
  if (answered?.status !== "SUCCEEDED") return "unavailable";
  const result = answered.result as { issues?: { message: string; messageId: number }[] } | null;
  return { issues: result?.issues ?? [] };
}
