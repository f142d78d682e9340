// The wire form of the contract: JSON, with 64-bit integers (bytes, record ids) as decimal strings,
// the API's BigInt scalar format. One codec for both sides (the agent encodes, the API decodes).
import { z } from "zod";

/** JSON-safe copy: bigints become decimal strings. */
export function toWire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, bigintReplacer));
}

/** JSON.stringify replacer writing bigints as decimal strings. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** A non-negative 64-bit integer on the wire: a decimal string (or a number), decoded to bigint. */
export const wireBigInt = z
  .union([z.bigint().nonnegative(), z.string().regex(/^\d{1,20}$/), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));
