// The unmovable policies SAVE and SHUT_DOWN: once a drain has nothing left to move, each VM that could
// not leave its host is saved (SAVE_VM: Save-VM) or shut down through its guest (STOP_VM: Stop-VM
// without -Force or -TurnOff) by the host's agent, and the outcome is kept on the maintenance's
// unmovable entry. Only when the maintenance asked for it (startMaintenance input.unmovable).
//
// Faults (the command outbox, agents/commands.ts, does the fencing):
// - The command row and the entry that names it commit together: a crash between the two leaves
//   both or neither, and the next pass issues again only for an entry without a command.
// - The agent is away: the command waits (PENDING). Past its deadline (COMMAND_TTL_MS: 10 minutes) the
//   worker expires it, so a VM is never saved or shut down long after it was asked for; the entry
//   records the failure and the VM keeps running. (A host whose agent stays away fails the whole
//   maintenance: worker.ts.)
// - The agent died after it received the command: the API sends it again; the agent's journal answers
//   one it finished, and one it did not is run again, which changes nothing for a VM already Saved/Off.
//   An answer that never comes (or COMMAND_EXPIRED after a restart) is checked against the inventory:
//   a VM that is Saved (Off) there counts as done.
// - The maintenance is cancelled or fails: commands not delivered yet are expired (expirePowerCommands).
import { commandDeadline } from "@ferry/protocol";
import type { App } from "../../context.ts";
import type { Maintenance, Prisma } from "../../generated/prisma/client.ts";
import { commandCreateData, transitionCommand } from "../agents/commands.ts";
import { publishMaintenance } from "./machine.ts";
import type { PowerOutcome, UnmovableEntry } from "./plan-types.ts";
import { unmovableOf } from "./types.ts";

/** The agent command of each policy that acts. */
export const POWER_COMMANDS = { SAVE: "SAVE_VM", SHUT_DOWN: "STOP_VM" } as const;

/** The VM state each policy leads to (a VM already in it, or Saved for SHUT_DOWN, needs nothing). */
const TARGET = { SAVE: ["SAVED", "OFF"], SHUT_DOWN: ["OFF", "SAVED"] } as const;

const asJson = (entries: UnmovableEntry[]) => entries as unknown as Prisma.InputJsonValue;

function outcome(
  status: PowerOutcome["status"],
  message: string,
  extra: Partial<PowerOutcome> = {},
): PowerOutcome {
  return {
    status,
    message,
    commandId: null,
    vmState: null,
    code: null,
    at: new Date().toISOString(),
    ...extra,
  };
}

/** What the policy did, in words (the entry's actionMessage). */
function doneMessage(policy: "SAVE" | "SHUT_DOWN", state: string, changed: boolean): string {
  const verb = policy === "SAVE" ? "saved" : "shut down";
  return changed ? `${verb} by its host's agent (now ${state})` : `already ${state}: nothing to do`;
}

/**
 * Moves each entry of a drained maintenance along: issues the command for an entry without one,
 * records the answer of one that came back, expires one nobody received in time. Returns true when
 * every entry has its outcome (the drain may end IN_MAINTENANCE).
 */
export async function applyUnmovablePolicy(app: App, m: Maintenance): Promise<boolean> {
  const policy = m.unmovablePolicy;
  if (policy === "STAY_RUNNING") return true;
  const type = POWER_COMMANDS[policy];
  const prisma = app.db.prisma;
  const entries = unmovableOf(m).map((e) => ({ ...e }));
  const onHost = new Map(
    (
      await prisma.virtualMachine.findMany({
        where: { hostId: m.hostId, vmId: { in: entries.map((e) => e.vmGuid) } },
        select: { vmId: true, state: true },
      })
    ).map((v) => [v.vmId, v.state as string]),
  );
  const toIssue: UnmovableEntry[] = [];
  let changed = false;
  for (const e of entries) {
    if (e.outcome && e.outcome.status !== "PENDING") continue;
    const state = onHost.get(e.vmGuid);
    if (!e.outcome) {
      if (state === undefined) {
        e.outcome = outcome("SKIPPED", "no longer on the host: nothing to do");
        changed = true;
      } else toIssue.push(e);
      continue;
    }
    const command = e.outcome.commandId
      ? await prisma.agentCommand.findUnique({ where: { id: e.outcome.commandId } })
      : null;
    if (!command) {
      e.outcome = outcome("FAILED", "the command to its host's agent is gone", { vmState: state ?? null });
      changed = true;
      continue;
    }
    if (command.status === "PENDING" || command.status === "DELIVERED") {
      // Nobody received it in time: it must not run late (the agent refuses it then too).
      if (
        command.status === "PENDING" &&
        commandDeadline(command.type, command.createdAt).getTime() < Date.now()
      ) {
        await transitionCommand(
          prisma,
          command.id,
          "EXPIRED",
          {
            completedAt: new Date(),
            errorCode: "COMMAND_EXPIRED",
            errorMessage: "not delivered before its deadline",
          },
          { status: "PENDING" },
        );
      }
      continue;
    }
    const result = command.result as { state?: string; changed?: boolean } | null;
    if (command.status === "SUCCEEDED") {
      const now = result?.state ?? state ?? "unknown";
      e.outcome = outcome("DONE", doneMessage(policy, now, result?.changed ?? true), {
        commandId: command.id,
        vmState: now,
      });
    } else if (state !== undefined && (TARGET[policy] as readonly string[]).includes(state)) {
      // No usable answer, but the inventory shows it done (the answer was lost, or refused as late).
      e.outcome = outcome(
        "DONE",
        `${state} in its host's inventory (the agent's answer: ${command.errorCode ?? command.status})`,
        {
          commandId: command.id,
          vmState: state,
        },
      );
    } else {
      e.outcome = outcome(
        "FAILED",
        `${policy === "SAVE" ? "not saved" : "not shut down"}, it keeps running: ${command.errorCode ?? command.status}: ${command.errorMessage ?? "no answer"}`,
        { commandId: command.id, vmState: state ?? null, code: command.errorCode ?? command.status },
      );
    }
    changed = true;
  }
  if (toIssue.length > 0 || changed) {
    const issued = await prisma
      .$transaction(async (tx) => {
        const rows = [];
        for (const e of toIssue) {
          const row = await tx.agentCommand.create({
            data: commandCreateData({
              hostId: m.hostId,
              type,
              payload: { vmId: e.vmGuid },
              requestedBy: `${m.requestedBy} (maintenance ${m.id})`,
            }),
          });
          e.outcome = outcome("PENDING", `${type} sent to its host's agent`, { commandId: row.id });
          rows.push(row);
        }
        // Guarded by the state: a cancel in between rolls the commands back with it.
        const { count } = await tx.maintenance.updateMany({
          where: { id: m.id, state: m.state },
          data: { unmovable: asJson(entries) },
        });
        if (count === 0) throw new StateMoved();
        return rows;
      })
      .catch((error) => {
        if (error instanceof StateMoved) return null;
        throw error;
      });
    if (issued === null) return false;
    for (const row of issued) app.pubsub.publish("agentCommand", row.hostId, { commandId: row.id });
    publishMaintenance(app, m.id);
  }
  return entries.every((e) => e.outcome && e.outcome.status !== "PENDING");
}

class StateMoved extends Error {}

/** Commands of this maintenance's entries that no agent received yet are expired (cancel, fail). */
export async function expirePowerCommands(tx: Prisma.TransactionClient, m: Pick<Maintenance, "unmovable">) {
  for (const e of unmovableOf(m)) {
    if (e.outcome?.status !== "PENDING" || !e.outcome.commandId) continue;
    await transitionCommand(
      tx,
      e.outcome.commandId,
      "EXPIRED",
      { completedAt: new Date(), errorCode: "COMMAND_EXPIRED", errorMessage: "its maintenance ended first" },
      { status: "PENDING" },
    );
  }
}
