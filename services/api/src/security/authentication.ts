// Authentication at execution, for HTTP and WebSocket alike: an operation without a principal is
// answered UNAUTHENTICATED before any resolver runs; unauthenticated mutation attempts are audited
// (one DENIED entry per root mutation field). Denied calls that scope-auth records during execution
// are awaited before the response leaves, so the audit entry exists when the client sees the error.
import { getOperationAST, Kind } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { awaitPendingAudits, recordAudit } from "../modules/audit/service.ts";
import { unauthenticated } from "../modules/shared/errors.ts";

export function useAuthentication(): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as unknown as Context;
      if (!ctx.principal) {
        setExecuteFn(async () => {
          const operation = getOperationAST(args.document, args.operationName);
          if (operation?.operation === "mutation") {
            for (const sel of operation.selectionSet.selections) {
              if (sel.kind !== Kind.FIELD || sel.name.value.startsWith("__")) continue;
              await recordAudit(ctx, {
                operation: sel.name.value,
                outcome: "DENIED",
                errorCode: "UNAUTHENTICATED",
                errorMessage: "no valid token",
              });
            }
          }
          return { errors: [unauthenticated()] };
        });
        return;
      }
      setExecuteFn(async (execArgs) => {
        try {
          return await executeFn(execArgs);
        } finally {
          await awaitPendingAudits(ctx);
        }
      });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (!(args.contextValue as unknown as Context).principal) {
        setResultAndStopExecution({ errors: [unauthenticated()] });
      }
    },
  };
}
