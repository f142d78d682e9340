// Typed failures of configuration changes (registered as GraphQL error types in schema.ts).
import { AppError } from "../shared/errors.ts";

/** The VM is not in a state that allows the change (Set-VMProcessor: processor compatibility changes only while Off). */
export class InvalidVmStateError extends AppError {
  override readonly name = "InvalidVmStateError";
  constructor(
    message: string,
    /** The VM's state as last known (Ferry's VmState name). */
    readonly state: string,
    readonly remedy: string,
  ) {
    super(message);
  }
}

/** The agent tried and Hyper-V refused: the typed Hyper-V error code and message. */
export class HostOperationFailedError extends AppError {
  override readonly name = "HostOperationFailedError";
  constructor(
    message: string,
    readonly code: string,
    /** The AgentCommand id of the failed operation. */
    readonly operationId: string,
  ) {
    super(message);
  }
}
