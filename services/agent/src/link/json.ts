/** JSON-safe copy: bigints become decimal strings (the API's BigInt scalar format). */
export function toWire<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
}
