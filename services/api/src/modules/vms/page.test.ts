// The `vms` page's value parsers (page.ts) give what Prisma gives, whatever the process's time zone.
import { afterEach, describe, expect, it } from "vitest";
import { pageTypes, parseUtcTimestamp } from "./page.ts";

const parser = (oid: number) => pageTypes.getTypeParser(oid, "text") as (text: string) => unknown;
const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe("vms page values", () => {
  it("reads timestamp columns as UTC instants, also where the process's zone is not UTC", () => {
    process.env.TZ = "America/New_York";
    const ts = parser(1114);
    expect((ts("2026-12-02 13:41:53.123") as Date).toISOString()).toBe("2026-12-02T13:41:53.123Z");
    expect((ts("2026-07-01 00:00:00") as Date).toISOString()).toBe("2026-07-01T00:00:00.000Z");
    expect((ts("2026-07-01 00:00:00.5") as Date).toISOString()).toBe("2026-07-01T00:00:00.500Z");
    // Outside the plain syntax: pg's own parser (microseconds, years BC).
    expect(parseUtcTimestamp("2026-07-01 00:00:00.123456").toISOString()).toBe("2026-07-01T00:00:00.123Z");
    expect(parseUtcTimestamp("0001-01-01 00:00:00 BC").getUTCFullYear()).toBe(0);
  });

  it("reads bigint columns as bigint, exactly past 2^53", () => {
    expect(parser(20)("4611686018427387911")).toBe(2n ** 62n + 7n);
    expect(parser(20)("-5")).toBe(-5n);
  });

  it("leaves the other columns to pg", () => {
    expect(parser(1009)('{External,"sw 2"}')).toEqual(["External", "sw 2"]);
    expect(parser(23)("42")).toBe(42);
    expect(parser(16)("t")).toBe(true);
  });
});
