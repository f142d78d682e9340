// Relay global ids ("Host:<uuid>", base64): decoding with a clear error for the wrong kind.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { ValidationError } from "./errors.ts";

/** The database id inside a global id of `typename`; ValidationError naming `field` otherwise. */
export function decodeId(typename: string, id: string, field: string): string {
  try {
    const decoded = decodeGlobalID(id);
    if (decoded.typename === typename && decoded.id) return decoded.id;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError(field, `not a ${typename} id: ${JSON.stringify(id).slice(0, 80)}`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Database ids are UUIDs; anything else can be answered "not found" without asking the database. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
