import { builder } from "../../builder.ts";
import { AppError } from "../shared/errors.ts";
import { ErrorInterface, isError } from "../shared/payload.ts";
import type { PreflightReport } from "./preflight.ts";
import { PreflightReportType } from "./types.ts";

/** moveVm refused: at least one preflight check FAILed. */
export class PreflightFailedError extends AppError {
  override readonly name = "PreflightFailedError";
  constructor(readonly report: PreflightReport) {
    const failed = report.checks.filter((c) => c.status === "FAIL");
    super(`Preflight failed: ${failed.map((c) => c.message).join(" ")}`);
  }
}

builder.objectType(PreflightFailedError, {
  name: "PreflightFailedError",
  description:
    "The move was not started because preflight checks failed; the report says why and what to do.",
  interfaces: [ErrorInterface],
  isTypeOf: isError("PreflightFailedError"),
  fields: (t) => ({
    report: t.field({
      type: PreflightReportType,
      description: "Every check, with remedies.",
      resolve: (e) => e.report,
    }),
  }),
});
