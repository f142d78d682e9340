// The Grafana dashboard uses the metrics /metrics exposes (no panel points at a metric that does not
// exist), and aggregates database gauges with max() (every replica reports the same fleet-wide value).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, "dashboards/ferry.json"), "utf8")) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const registry = fs.readFileSync(path.join(ROOT, "services/api/src/modules/metrics/registry.ts"), "utf8");
const defined = new Set([...registry.matchAll(/name: "(ferry_\w+)"/g)].map((m) => m[1]!));

describe("dashboards/ferry.json", () => {
  it("shows every ferry_* metric, and only metrics that exist", () => {
    const used = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b(ferry_\w+?)(?:_bucket|_count|_sum)?\b/g)].map((m) => m[1]!)),
    );
    expect([...used].filter((m) => !defined.has(m))).toEqual([]);
    expect([...defined].filter((m) => !used.has(m))).toEqual([]);
  });

  it("aggregates database gauges with max(), not sum()", () => {
    for (const gauge of [
      "ferry_migrations_queued",
      "ferry_migrations_running",
      "ferry_maintenance_drains_in_progress",
    ]) {
      const uses = exprs.filter((e) => e.includes(gauge));
      expect(uses.length).toBeGreaterThan(0);
      for (const e of uses) expect(e).toContain(`max(${gauge})`);
    }
  });
});
