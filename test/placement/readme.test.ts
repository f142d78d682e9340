// The README's "Maintenance and placement" > "Placement" examples run as written against the demo
// fleet (generateFleet: 4 hosts, seed 1, 10 VMs each), in order, without errors (no GraphQL error,
// no entry in a payload's errors), with the placeholders looked up by name as the README says.
import fs from "node:fs";
import path from "node:path";
import { type DocumentNode, Kind, parse, print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { ROOT } from "../helpers/processes.ts";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const SECTION = /\n### Placement\n([\s\S]*?)(?=\n## |\n### )/.exec(README)?.[1] ?? "";

function examples(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    const doc: DocumentNode = parse(m[1]!);
    for (const def of doc.definitions) if (def.kind === Kind.OPERATION_DEFINITION) found.push(print(def));
  }
  return found;
}

function payloadErrors(value: unknown, at = "data"): string[] {
  if (!value || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => payloadErrors(v, `${at}[${i}]`));
  return Object.entries(value).flatMap(([k, v]) =>
    k === "errors" && v !== null ? [`${at}.errors: ${JSON.stringify(v)}`] : payloadErrors(v, `${at}.${k}`),
  );
}

/** The id of the first `migration { id }` in a response (the one "<id of the migration>" names). */
function firstMigrationId(value: unknown): string | null {
  if (!value || typeof value !== "object") return null;
  if (Array.isArray(value)) return value.map(firstMigrationId).find((id) => id) ?? null;
  const record = value as Record<string, unknown>;
  const id = (record.migration as { id?: string } | null | undefined)?.id;
  return (
    id ??
    Object.values(record)
      .map(firstMigrationId)
      .find((x) => x) ??
    null
  );
}

let api: TestApi;
let fleet: TestFleet;
beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { hosts: 4, seed: 1, timeScale: 1, vmsPerHost: 10 });
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

describe("README: Placement", () => {
  it("has placementOptions, auto-placement, notBefore, anti-affinity, reserves, moveVms, balancing and estimates", () => {
    const list = examples(SECTION).join("\n");
    for (const field of [
      "placementOptions",
      "notBefore",
      "setAntiAffinityGroup",
      "setHostMemoryReserve",
      "moveVms",
      "balancePlan",
      "estimatedSecondsRemaining",
    ]) {
      expect(list, field).toContain(field);
    }
  });

  it("each example runs as written, in order, without errors", async () => {
    let migration: string | null = null;
    const outputs: string[] = [];
    for (const example of examples(SECTION)) {
      let query = example;
      for (const m of example.matchAll(/"<id of (host|VM) ([^>]+)>"/g)) {
        const [placeholder, kind, name] = m;
        const id =
          kind === "host"
            ? (
                await api.gqlOk<{ host: { id: string } }>("query($n: String!) { host(name: $n) { id } }", {
                  n: name,
                })
              ).host.id
            : (
                await api.gqlOk<{ vms: { edges: { node: { id: string } }[] } }>(
                  "query($n: String!) { vms(filter: {name: $n}) { edges { node { id } } } }",
                  { n: name },
                )
              ).vms.edges[0]!.node.id;
        query = query.replaceAll(placeholder!, JSON.stringify(id));
      }
      if (query.includes('"<id of the migration>"')) {
        expect(migration, "an earlier example starts a migration").not.toBeNull();
        query = query.replaceAll('"<id of the migration>"', JSON.stringify(migration));
      }
      expect(query, "every placeholder is one the test knows").not.toMatch(/<[^>]*>/);
      const result = await api.gql(query);
      const problems: string[] = [];
      if (result.errors?.length || result.status !== 200)
        problems.push(`(${result.status}) ${JSON.stringify(result.errors)}`);
      problems.push(...payloadErrors(result.data));
      expect(problems, `README example:\n${example}`).toEqual([]);
      migration ??= firstMigrationId(result.data);
      outputs.push(JSON.stringify(result.data).slice(0, 400));
    }
    console.log(outputs.join("\n"));
  }, 300_000);
});
