// What Hyper-V says when a move fails, and where in the move it typically happens (docs/hyperv.md
// "Failures"). Texts marked confirmed there are reproduced verbatim; the rest is Hyper-V-like.
import type { HyperVErrorCode } from "../types.ts";
import { EVENT_IDS } from "./events.ts";

/** start: thrown by startMove*; early: job fails < 10 %; mid: 30-80 %; late: 90-99 %. */
export type FailurePoint = "start" | "early" | "mid" | "late";

export interface FailureContext {
  vmName: string;
  vmId: string;
  source: string;
  destination: string;
  switchName?: string;
  path?: string;
  limit?: number;
  /** Which host's limit or setting caused it. */
  host?: string;
  noSpace?: boolean;
  storage?: boolean;
}

interface FailureSpec {
  point: FailurePoint;
  /** The specific event besides the umbrella 21502, when Hyper-V has a documented one. */
  eventId: number | null;
  /** The failure happens on the destination, so its log records it too. */
  onDestination: boolean;
  message(c: FailureContext): string;
}

const connect = (c: FailureContext, why: string) =>
  `Failed to establish a connection with host ${c.destination}: ${why}`;

export const FAILURES: Record<HyperVErrorCode, FailureSpec> = {
  MIGRATION_DISABLED: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      `The virtual machine cannot be moved because virtual machine migration is not enabled on host '${c.host ?? c.destination}'.`,
  },
  NETWORK_UNREACHABLE: {
    // Text and code unconfirmed (docs/hyperv.md "Migration network"): the host has no usable migration network.
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      connect(
        c,
        `host '${c.host ?? c.destination}' has no migration network holding one of its addresses, and UseAnyNetworkForMigration is off. (0x80072741).`,
      ),
  },
  AUTHENTICATION_FAILED: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) => connect(c, "No credentials are available in the security package (0x8009030E)."),
  },
  PROCESSOR_INCOMPATIBLE: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      `Virtual machine "${c.vmName}" is using processor-specific features not supported on host "${c.destination}".`,
  },
  SWITCH_NOT_FOUND: {
    point: "early",
    eventId: EVENT_IDS.SWITCH_NOT_FOUND,
    onDestination: true,
    message: (c) => `Could not find Ethernet switch '${c.switchName ?? ""}'.`,
  },
  INSUFFICIENT_MEMORY: {
    point: "early",
    eventId: null,
    onDestination: true,
    message: () =>
      "Failed to create partition: Insufficient system resources exist to complete the requested service. (0x800705AA)",
  },
  NETWORK_REFUSED: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      connect(c, "No connection could be made because the target machine actively refused it. (0x8007274D)."),
  },
  NETWORK_TIMEOUT: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      connect(
        c,
        "A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond. (0x8007274C).",
      ),
  },
  NETWORK_RESET: {
    point: "mid",
    eventId: null,
    onDestination: false,
    message: (c) =>
      `The connection with host ${c.destination} was lost: An existing connection was forcibly closed by the remote host. (0x80072746).`,
  },
  NETWORK_ACCESS_DENIED: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      connect(
        c,
        "An attempt was made to access a socket in a way forbidden by its access permissions. (0x8007271D).",
      ),
  },
  PATH_NOT_FOUND: {
    point: "late",
    eventId: EVENT_IDS.PATH_NOT_FOUND,
    onDestination: true,
    message: (c) =>
      c.noSpace
        ? `'${c.vmName}' failed to register the configuration at '${c.path ?? ""}': There is not enough space on the disk. (0x80070070)`
        : `'${c.vmName}' failed to register the configuration at '${c.path ?? ""}': The system cannot find the path specified. (0x80070003)`,
  },
  MIGRATION_LIMIT_REACHED: {
    point: "start",
    eventId: EVENT_IDS.LIMIT_REACHED,
    onDestination: false,
    message: (c) =>
      c.storage
        ? `Storage migration for '${c.vmName}' was not started at host '${c.host ?? c.source}' because storage migration limit "${c.limit ?? 2}" was reached, please wait for completion of an ongoing migration operation.`
        : `Virtual machine migration for '${c.vmName}' was not started at host '${c.host ?? c.source}' because virtual machine migration limit "${c.limit ?? 2}" was reached, please wait for completion of an ongoing migration operation.`,
  },
  VM_NOT_FOUND: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) => `Hyper-V was unable to find a virtual machine with ID '${c.vmId}'.`,
  },
  INVALID_PARAMETER: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: () => "The operation failed because a parameter is not valid.",
  },
  INVALID_VM_STATE: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) =>
      `The operation cannot be performed while the virtual machine '${c.vmName}' is in its current state.`,
  },
  CANCELLED: {
    point: "mid",
    eventId: null,
    onDestination: false,
    message: (c) => `The migration of '${c.vmName}' was cancelled.`,
  },
  BACKEND_UNAVAILABLE: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: () => "The Virtual Machine Management service is not available.",
  },
  UNKNOWN: {
    point: "mid",
    eventId: null,
    onDestination: false,
    message: () => "The operation failed with an unexpected error. (0x80004005)",
  },
  NETWORK_EXISTS: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: () => "The migration network already exists.",
  },
  NETWORK_NOT_FOUND: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: () => "The migration network was not found.",
  },
  SHUTDOWN_UNAVAILABLE: {
    // Stop-VM's, not a move's (power.ts); listed because every code has an entry.
    point: "start",
    eventId: null,
    onDestination: false,
    message: (c) => `The guest operating system of '${c.vmName}' did not accept a shutdown request.`,
  },
  JOB_NOT_FOUND: {
    point: "start",
    eventId: null,
    onDestination: false,
    message: () => "The migration job was not found.",
  },
};

/** Percent range in which a failure at that point lands. */
export function pointRange(point: FailurePoint): [number, number] {
  switch (point) {
    case "start":
      return [0, 0];
    case "early":
      return [1, 9];
    case "mid":
      return [30, 80];
    case "late":
      return [90, 99];
  }
}

/** The umbrella 21502 message as logged on source or destination. */
export function umbrellaMessage(c: FailureContext, side: "source" | "destination", detail: string): string {
  if (c.storage) {
    return `Virtual machine storage migration operation for '${c.vmName}' failed. (Virtual machine ID ${c.vmId}) ${detail}`;
  }
  const host = side === "source" ? c.source : c.destination;
  return `Virtual machine migration operation for '${c.vmName}' failed at migration ${side} '${host}'. (Virtual machine ID ${c.vmId}) ${detail}`;
}
