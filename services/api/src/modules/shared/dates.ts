// Instants a client may send: ISO 8601 within years 0001-9999, the range both Prisma and PostgreSQL
// store (JavaScript dates reach year 275760, which the database refuses as an internal error).
const MIN = Date.parse("0001-01-01T00:00:00Z");
const MAX = Date.parse("+010000-01-01T00:00:00Z"); // exclusive

/** The instant of an ISO 8601 string, or why it is not one Ferry can store (a sentence tail). */
export function parseDateTime(value: string | null): Date | string {
  if (value === null) return "must be an ISO 8601 string";
  const date = new Date(value);
  const time = date.getTime();
  if (Number.isNaN(time)) return "must be an ISO 8601 string";
  if (time < MIN || time >= MAX) return "must be between 0001-01-01 and 9999-12-31 (UTC)";
  return date;
}
