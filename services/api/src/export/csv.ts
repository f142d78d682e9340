// CSV cells per RFC 4180, safe to open in a spreadsheet: a cell that starts with = + - @ (or a tab or
// carriage return) is prefixed with ' so it is shown as text, never run as a formula.

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === "object"
        ? JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))
        : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}
