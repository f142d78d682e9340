// Hyper-V facts both sides share: the typed failure codes an agent reports (the same from both
// backends) and the firewall rules live migration needs (matched by Name; DisplayName is localized).
import { MIGRATION_RULE, SMB_RULE } from "@ferry/hyperv";
import { z } from "zod";

/** Typed Hyper-V failure codes, the same from the simulator and the PowerShell backend. */
export const HYPERV_ERROR_CODES = [
  "VM_NOT_FOUND",
  "INVALID_PARAMETER",
  "INVALID_VM_STATE",
  "MIGRATION_DISABLED",
  "NETWORK_UNREACHABLE",
  "AUTHENTICATION_FAILED",
  "PROCESSOR_INCOMPATIBLE",
  "SWITCH_NOT_FOUND",
  "INSUFFICIENT_MEMORY",
  "NETWORK_REFUSED",
  "NETWORK_TIMEOUT",
  "NETWORK_RESET",
  "NETWORK_ACCESS_DENIED",
  "PATH_NOT_FOUND",
  "MIGRATION_LIMIT_REACHED",
  "NETWORK_EXISTS",
  "NETWORK_NOT_FOUND",
  "JOB_NOT_FOUND",
  "CANCELLED",
  "BACKEND_UNAVAILABLE",
  /** Stop-VM: the guest did not accept a shutdown (no shutdown integration service); it was not turned off. */
  "SHUTDOWN_UNAVAILABLE",
  "UNKNOWN",
] as const;
export type HyperVErrorCode = (typeof HYPERV_ERROR_CODES)[number];
export const hyperVErrorCode = z.enum(HYPERV_ERROR_CODES);

/**
 * Codes an agent reports about a command itself rather than about Hyper-V: the command's deadline
 * passed, or its premise (e.g. "migration M is starting") no longer holds, so it was not run.
 */
export const COMMAND_ERROR_CODES = ["COMMAND_EXPIRED", "COMMAND_FENCED"] as const;
export type CommandErrorCode = (typeof COMMAND_ERROR_CODES)[number];

/** Any failure code an agent may put in a command result or job update. */
export const agentErrorCode = z.enum([...HYPERV_ERROR_CODES, ...COMMAND_ERROR_CODES]);
export type AgentErrorCode = z.infer<typeof agentErrorCode>;

/** Windows Firewall rules (Get-NetFirewallRule -Name) a live migration needs; the names are @ferry/hyperv's. */
export const FIREWALL_RULES = {
  /** Hyper-V (MIG-TCP-In): live migration traffic, TCP 6600. */
  LIVE_MIGRATION: MIGRATION_RULE,
  /** File and Printer Sharing (SMB-In): SMB transport and moves that copy storage, TCP 445. */
  SMB: SMB_RULE,
} as const;
