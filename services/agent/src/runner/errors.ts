import type { CommandErrorCode } from "@ferry/protocol";

/** The agent refused to run a command: expired, or its premise no longer holds (fenced). */
export class CommandRefusedError extends Error {
  override readonly name = "CommandRefusedError";
  constructor(
    readonly code: CommandErrorCode,
    message: string,
  ) {
    super(message);
  }
}
