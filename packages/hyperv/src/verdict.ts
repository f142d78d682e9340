// A rule's answer. `code` is the Migration failure code Hyper-V would produce if the move ran anyway
// (null on PASS, and where nothing would fail).
export type Status = "PASS" | "WARN" | "FAIL";

/** Failure codes shared by the agent backends, the API's diagnosis and these rules. */
export type FailureCode =
  | "MIGRATION_DISABLED"
  | "NETWORK_UNREACHABLE"
  | "AUTHENTICATION_FAILED"
  | "PROCESSOR_INCOMPATIBLE"
  | "SWITCH_NOT_FOUND"
  | "INSUFFICIENT_MEMORY"
  | "NETWORK_REFUSED"
  | "PATH_NOT_FOUND"
  | "INVALID_VM_STATE"
  | "INVALID_PARAMETER";

export interface Verdict {
  status: Status;
  message: string;
  remedy: string | null;
  code: FailureCode | null;
}

export const pass = (message: string): Verdict => ({ status: "PASS", message, remedy: null, code: null });
export const warn = (message: string, remedy: string, code: FailureCode | null = null): Verdict => ({
  status: "WARN",
  message,
  remedy,
  code,
});
export const fail = (message: string, remedy: string, code: FailureCode): Verdict => ({
  status: "FAIL",
  message,
  remedy,
  code,
});
