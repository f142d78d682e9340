// The custom scalars as a client meets them: DateTime (graphql-scalars' RFC 3339 syntax, PostgreSQL's
// range), BigInt (decimal strings both ways), JSON (graphql-scalars, literals included).
import { GraphQLError, type GraphQLScalarType, Kind, parseValue as parseGraphQLValue } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "./schema.ts";

const scalar = (name: string) => schema.getType(name) as GraphQLScalarType;

describe("DateTime", () => {
  const dateTime = scalar("DateTime");
  it("reads RFC 3339 instants with any offset and writes them in UTC", () => {
    const parsed = dateTime.parseValue("2026-12-01T10:00:00+01:00") as Date;
    expect(dateTime.serialize(parsed)).toBe("2026-12-01T09:00:00.000Z");
    expect(dateTime.serialize("2026-12-01T10:00:00Z")).toBe("2026-12-01T10:00:00.000Z");
  });
  it.each([
    ["a guessable non-RFC 3339 string", "Dec 1 2026"],
    ["a word", "yesterday"],
    ["a number", 1_700_000_000],
    ["a date PostgreSQL cannot store", "0000-01-01T00:00:00Z"],
  ])("refuses %s with a GraphQLError", (_, value) => {
    expect(() => dateTime.parseValue(value)).toThrow(GraphQLError);
  });
  it("applies the same checks to literals", () => {
    expect(() => dateTime.parseLiteral(parseGraphQLValue('"0000-01-01T00:00:00Z"'))).toThrow(GraphQLError);
    expect(dateTime.parseLiteral(parseGraphQLValue('"2026-01-02T03:04:05Z"'))).toEqual(
      new Date("2026-01-02T03:04:05Z"),
    );
  });
});

describe("BigInt", () => {
  const bigInt = scalar("BigInt");
  it("serializes 64-bit values as exact decimal strings", () => {
    expect(bigInt.serialize(2n ** 62n)).toBe("4611686018427387904");
    expect(bigInt.parseValue("4611686018427387904")).toBe(2n ** 62n);
    expect(bigInt.parseLiteral({ kind: Kind.INT, value: "42" })).toBe(42n);
  });
  it("refuses fractions and unsafe numbers", () => {
    expect(() => bigInt.parseValue(1.5)).toThrow(GraphQLError);
    expect(() => bigInt.parseValue(2 ** 60)).toThrow(GraphQLError);
  });
});

describe("JSON", () => {
  it("accepts object literals as well as variables", () => {
    const json = scalar("JSON");
    expect(json.parseLiteral(parseGraphQLValue('{ a: 1, b: ["x"] }'))).toEqual({ a: 1, b: ["x"] });
    expect(json.parseValue({ a: 1 })).toEqual({ a: 1 });
  });
});
