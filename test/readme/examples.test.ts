// Issue 10 item 5: every GraphQL example of the README runs as written against the demo fleet
// (`npm start`: generateFleet with 4 hosts, seed 1, 10 VMs each, time x1), in the README's order,
// with its placeholders replaced by ids looked up by name as the README shows:
// "<id of host NAME>", "<id of VM NAME>" and "<id of the migration>" (the last one an example started).
// No example may answer an error: no GraphQL error and no entry in a payload's `errors`.
// Before, the moveVmStorage example named E:\, a volume no demo host has.
import fs from "node:fs";
import path from "node:path";
import { type DocumentNode, Kind, type OperationDefinitionNode, parse, print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { ROOT } from "../helpers/processes.ts";
import { collect, wsClient } from "../helpers/ws.ts";

// The "Maintenance and placement" examples wait for a drain between them: test/readme/maintenance.test.ts runs them.
const README = fs
  .readFileSync(path.join(ROOT, "README.md"), "utf8")
  .replace(/\n## Maintenance and placement\n[\s\S]*?(?=\n## )/, "\n");

/** The README's GraphQL examples in order: ```graphql blocks (one entry per operation) and inline ones. */
function readmeExamples(text: string): string[] {
  const found: { at: number; source: string }[] = [];
  for (const m of text.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    const doc: DocumentNode = parse(m[1]!);
    for (const def of doc.definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION) found.push({ at: m.index!, source: print(def) });
    }
  }
  const withoutBlocks = text.replace(/```[\s\S]*?```/g, (block) => " ".repeat(block.length));
  for (const m of withoutBlocks.matchAll(/`((?:query|mutation|subscription)\s*\{[^`]*\}|\{\s*\w[^`]*\})`/g)) {
    found.push({ at: m.index!, source: m[1]! });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.source);
}

/** Every non-null `errors` list anywhere in a response's data, with its path. */
function payloadErrors(value: unknown, at = "data"): string[] {
  if (!value || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => payloadErrors(v, `${at}[${i}]`));
  return Object.entries(value).flatMap(([k, v]) =>
    k === "errors" && v !== null ? [`${at}.errors: ${JSON.stringify(v)}`] : payloadErrors(v, `${at}.${k}`),
  );
}

let api: TestApi;
let fleet: TestFleet;
beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { hosts: 4, seed: 1, timeScale: 1, vmsPerHost: 10 });
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

describe("README examples", () => {
  it("finds the examples", () => {
    const examples = readmeExamples(README);
    expect(examples.length).toBeGreaterThan(10);
    expect(examples.some((e) => e.includes("moveVmStorage"))).toBe(true);
  });

  it("the moveVmStorage example names a volume the demo hosts have", async () => {
    const example = readmeExamples(README).find((e) => e.includes("moveVmStorage"))!;
    const target = /destinationStoragePath:\s*"((?:[^"\\]|\\.)*)"/.exec(example)?.[1];
    expect(target, example).toBeDefined();
    const destination = JSON.parse(`"${target}"`) as string;
    const data = await api.gqlOk<{ hosts: { edges: { node: { volumes: { root: string }[] } }[] } }>(
      "{ hosts { edges { node { volumes { root } } } } }",
    );
    const roots = new Set(data.hosts.edges.flatMap((e) => e.node.volumes.map((v) => v.root.toLowerCase())));
    roots.add("\\\\fs01\\vms\\"); // the demo's shared SMB storage
    expect(
      [...roots].some((root) => destination.toLowerCase().startsWith(root)),
      destination,
    ).toBe(true);
  });

  it("each one runs as written, in order, without errors", async () => {
    let migration: string | null = null;
    const ws = wsClient(api.url, ADMIN_TOKEN);
    try {
      for (const example of readmeExamples(README)) {
        const problems: string[] = [];
        const ids = new Map<string, string>();
        for (const m of example.matchAll(/"<id of (host|VM) ([^>]+)>"/g)) {
          const [placeholder, kind, name] = m;
          const data =
            kind === "host"
              ? await api.gqlOk<{ host: { id: string } | null }>(
                  "query($n: String!) { host(name: $n) { id } }",
                  {
                    n: name,
                  },
                )
              : await api.gqlOk<{ vms: { edges: { node: { id: string } }[] } }>(
                  "query($n: String!) { vms(filter: {name: $n}) { edges { node { id } } } }",
                  { n: name },
                );
          const id = "host" in data ? data.host?.id : data.vms.edges[0]?.node.id;
          if (!id) problems.push(`no ${kind} named ${name}`);
          else ids.set(placeholder!, JSON.stringify(id));
        }
        let query = example;
        for (const [placeholder, id] of ids) query = query.replaceAll(placeholder, id);
        if (query.includes('"<id of the migration>"')) {
          expect(migration, `an earlier example starts a migration for:\n${example}`).not.toBeNull();
          query = query.replaceAll('"<id of the migration>"', JSON.stringify(migration));
        }
        expect(query, "every placeholder is one the test knows").not.toMatch(/<[^>]*>/);
        const operation = parse(query).definitions[0] as OperationDefinitionNode;
        if (operation.operation === "subscription") {
          const feed = collect<unknown>(ws, query);
          const progress = query.includes("migrationProgress");
          // A progress feed sends the migration's state at once; hostChanged only when a host changes.
          if (progress) await feed.next(() => true, 60_000);
          else await new Promise((r) => setTimeout(r, 3_000));
          feed.stop();
          if (feed.errors.length) problems.push(`subscription errors: ${JSON.stringify(feed.errors)}`);
        } else {
          const result = await api.gql(query);
          if (result.errors?.length || result.status !== 200)
            problems.push(`(${result.status}) ${JSON.stringify(result.errors)}`);
          problems.push(...payloadErrors(result.data));
          const started = JSON.stringify(result.data ?? {}).match(/"migration":\{"id":"([^"]+)"/);
          if (started) migration = started[1]!;
        }
        expect(problems, `README example:\n${example}`).toEqual([]);
      }
    } finally {
      await ws.dispose();
    }
  }, 300_000);
});
