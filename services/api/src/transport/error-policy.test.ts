import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../errors.ts";
import { createLogger } from "../logger.ts";
import { createMaskError, isUnavailable } from "./error-policy.ts";

// Errors shaped as Prisma, pg and Node raise them (code, message, cause chain).
function prismaError(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: "PrismaClientKnownRequestError", code });
}

describe("isUnavailable: a dependency away or busy (retryable), not a wrong request", () => {
  const cases: [string, unknown, boolean][] = [
    ["P1001 can't reach the database", prismaError("P1001", "Can't reach database server"), true],
    ["P2024 no pooled connection in time", prismaError("P2024", "Timed out fetching a new connection"), true],
    [
      "P2028 transaction not started within maxWait",
      prismaError("P2028", "Transaction API error: Unable to start a transaction in the given time."),
      true,
    ],
    [
      "P2028 for another reason (a transaction used after it closed)",
      prismaError("P2028", "Transaction API error: Transaction already closed: a commit cannot be executed"),
      false,
    ],
    [
      "P2002 unique constraint",
      prismaError("P2002", "Unique constraint failed on the fields: (`name`)"),
      false,
    ],
    [
      "SQLSTATE 57P01 admin shutdown",
      Object.assign(new Error("terminating connection"), { code: "57P01" }),
      true,
    ],
    ["SQLSTATE 23505 unique violation", Object.assign(new Error("duplicate key"), { code: "23505" }), false],
    [
      "ECONNREFUSED two causes deep",
      new Error("outer", {
        cause: new Error("inner", { cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }) }),
      }),
      true,
    ],
    ["a plain bug", new TypeError("undefined is not a function"), false],
    ["not an error", "text", false],
  ];
  it.each(cases)("%s", (_name, error, expected) => {
    expect(isUnavailable(error)).toBe(expected);
  });
});

describe("createMaskError: what a client sees", () => {
  const mask = createMaskError(createLogger("silent"));
  const located = (original: Error) =>
    new GraphQLError("wrapped", { originalError: original, path: ["host"] });

  it("a pool that had no connection for the transaction is SERVICE_UNAVAILABLE, retryable, at its path", () => {
    const answer = mask(
      located(
        prismaError("P2028", "Transaction API error: Unable to start a transaction in the given time."),
      ),
      "Unexpected error.",
    ) as GraphQLError;
    expect(answer.extensions).toMatchObject({ code: "SERVICE_UNAVAILABLE", retryable: true });
    expect(answer.path).toEqual(["host"]);
    expect(answer.message).toMatch(/retry shortly/);
  });

  it("an expected error is BAD_USER_INPUT with its own message", () => {
    const answer = mask(located(new NotFoundError("Host", "h1")), "Unexpected error.") as GraphQLError;
    expect(answer.extensions.code).toBe("BAD_USER_INPUT");
    expect(answer.message).not.toBe("Unexpected error.");
  });

  it("anything else is masked as INTERNAL_SERVER_ERROR without its message", () => {
    const answer = mask(located(new TypeError("secret detail")), "Unexpected error.") as GraphQLError;
    expect(answer.extensions.code).toBe("INTERNAL_SERVER_ERROR");
    expect(answer.message).toBe("Unexpected error.");
  });
});
