// ferry_subscription_* counters of shared WebSocket subscriptions (transport/shared-subscriptions.ts), in
// the App's registry: results computed (one per event and query shape) against messages delivered (one
// per subscriber) show the sharing; coalesced results show slow subscribers. Labels: root field names.
import { Counter, type Registry } from "prom-client";
import type { SharedSubscriptionMetrics } from "./shared-subscriptions.ts";

function counter(registry: Registry, name: string, help: string): Counter<"field"> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<"field">;
  return new Counter({ name, help, labelNames: ["field"], registers: [registry] });
}

export function subscriptionMetrics(registry: Registry): SharedSubscriptionMetrics {
  const results = counter(
    registry,
    "ferry_subscription_results_total",
    "Results computed by shared WebSocket subscription executions on this replica: one per event and query shape (document, variables, role), however many subscribers share it.",
  );
  const deliveries = counter(
    registry,
    "ferry_subscription_deliveries_total",
    "Results written to WebSocket subscribers of shared subscriptions on this replica (one per subscriber and result).",
  );
  const coalesced = counter(
    registry,
    "ferry_subscription_coalesced_total",
    "Results a slow subscriber (its socket more than 64 KiB behind) skipped because a newer one replaced them before it could be sent.",
  );
  return {
    result: (field) => results.inc({ field }),
    delivered: (field, count) => {
      if (count > 0) deliveries.inc({ field }, count);
    },
    coalesced: (field) => coalesced.inc({ field }),
  };
}
