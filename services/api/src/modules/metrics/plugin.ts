// GraphQL metrics: the yoga Prometheus plugin (graphql_envelop_* request, phase and error metrics, and
// graphql_yoga_http_duration) into the App's registry, plus the inventory report count and ingest time.
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import type { Plugin } from "graphql-yoga";
import type { App } from "../../context.ts";
import { metricsOf } from "./registry.ts";

const INVENTORY_FIELD = "agentReportInventory";

function rootFields(args: { document: unknown; operationName?: string | null }): string[] {
  const doc = args.document as {
    definitions: {
      kind: string;
      operation?: string;
      selectionSet?: { selections: { kind: string; name?: { value: string } }[] };
    }[];
  };
  const op = doc.definitions.find((d) => d.kind === "OperationDefinition" && d.operation === "mutation");
  return (
    op?.selectionSet?.selections.flatMap((s) => (s.kind === "Field" && s.name ? [s.name.value] : [])) ?? []
  );
}

/** Times agentReportInventory executions (one report each). */
function useInventoryMetrics(app: App): Plugin {
  const m = metricsOf(app);
  return {
    onExecute({ args }) {
      if (!rootFields(args).includes(INVENTORY_FIELD)) return;
      const started = process.hrtime.bigint();
      return {
        onExecuteDone({ result }) {
          const failed = "errors" in result && !!result.errors?.length;
          m.inventoryReports.labels(failed ? "error" : "ok").inc();
          m.inventoryIngest.observe(Number(process.hrtime.bigint() - started) / 1e9);
        },
      };
    },
  };
}

export function metricsPlugins(app: App): Plugin[] {
  return [
    usePrometheus({
      registry: metricsOf(app).registry,
      endpoint: false,
      labels: { url: false, method: true, statusCode: true },
      metrics: {
        graphql_envelop_request: true,
        graphql_envelop_request_duration: true,
        graphql_envelop_phase_parse: true,
        graphql_envelop_phase_validate: true,
        graphql_envelop_phase_context: true,
        graphql_envelop_phase_execute: true,
        graphql_envelop_phase_subscribe: true,
        graphql_envelop_error_result: true,
        graphql_yoga_http_duration: true,
        // On by default: it walks every request's document with TypeInfo looking for deprecated fields, and
        // the schema has none (a 500-VM page spent ~3 % of its CPU there; issue 16).
        graphql_envelop_deprecated_field: false,
      },
    }) as Plugin,
    useInventoryMetrics(app),
  ];
}
