// The PASS/WARN/FAIL enum shared by every check list (host readiness, migration preflight), so the
// modules that report checks agree on one GraphQL type.
import { builder } from "../../builder.ts";

export type CheckStatusValue = "PASS" | "WARN" | "FAIL";

export const CheckStatus = builder.enumType("CheckStatus", {
  description: "Outcome of one check.",
  values: {
    PASS: { description: "Fine." },
    WARN: { description: "Works, but slower or riskier than it should be; see the remedy." },
    FAIL: { description: "Blocks live migration until fixed; see the remedy." },
  },
});
