// Compile-time checks that the agent's own types are the protocol's: a Hyper-V error code or an
// inventory field added on one side only fails the build.
import type { InventoryWire, HyperVErrorCode as ProtocolErrorCode } from "@ferry/protocol";
import type { HyperVErrorCode, Inventory } from "./backends/types.ts";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Both backends throw exactly the protocol's error codes. */
export const ERROR_CODES_MATCH: Same<HyperVErrorCode, ProtocolErrorCode> = true;

/** An inventory the backend produces is a valid report (bigints are accepted by the wire schema). */
export function asReport(inventory: Inventory): InventoryWire {
  return inventory;
}
