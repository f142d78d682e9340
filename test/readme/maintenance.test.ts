// The README's "Maintenance and placement" examples run as written against the demo fleet
// (generateFleet: 4 hosts, seed 1, 10 VMs each), in order, without errors: the what-if, the drain,
// following it, and the return. Between the drain and the return the test waits for IN_MAINTENANCE
// (the README says to), then for ENDED, and checks the VMs really left and came back. The fleet runs
// 150 times faster than the demo's real time (the drain copies disks of VMs on local storage).
import fs from "node:fs";
import path from "node:path";
import { type DocumentNode, Kind, type OperationDefinitionNode, parse, print } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { ROOT } from "../helpers/processes.ts";
import { collect, wsClient } from "../helpers/ws.ts";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
// The maintenance part: from the heading to its first sub-section ("### Placement") or the next section.
const SECTION = /\n## Maintenance and placement\n([\s\S]*?)(?=\n### |\n## )/.exec(README)?.[1] ?? "";

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

let api: TestApi;
let fleet: TestFleet;
beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { hosts: 4, seed: 1, timeScale: 150, vmsPerHost: 10 });
}, 300_000);
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const state = async (host: string) =>
  (
    await api.gqlOk<{ host: { maintenance: { state: string } | null } }>(
      "query($n: String!) { host(name: $n) { maintenance { state } } }",
      { n: host },
    )
  ).host.maintenance?.state ?? null;

const vmsOn = async (host: string) =>
  (
    await api.gqlOk<{ host: { vms: { edges: { node: { name: string } }[] } } }>(
      "query($n: String!) { host(name: $n) { vms(first: 100) { edges { node { name } } } } }",
      { n: host },
    )
  ).host.vms.edges
    .map((e) => e.node.name)
    .sort();

describe("README: Maintenance and placement", () => {
  it("has the what-if, the drain, following it and the return", () => {
    const list = examples(SECTION);
    for (const field of ["evacuationPlan", "startMaintenance", "maintenanceChanged", "endMaintenance"]) {
      expect(
        list.some((e) => e.includes(field)),
        field,
      ).toBe(true);
    }
  });

  it("each example runs as written, in order, without errors; the VMs leave and come back", async () => {
    const ws = wsClient(api.url, ADMIN_TOKEN);
    let maintenance: string | null = null;
    const before = await vmsOn("HV-A02");
    let drained: string[] = [];
    try {
      for (const example of examples(SECTION)) {
        let query = example;
        for (const m of example.matchAll(/"<id of host ([^>]+)>"/g)) {
          const id = (
            await api.gqlOk<{ host: { id: string } }>("query($n: String!) { host(name: $n) { id } }", {
              n: m[1],
            })
          ).host.id;
          query = query.replaceAll(m[0], JSON.stringify(id));
        }
        if (query.includes('"<id of the maintenance>"')) {
          expect(maintenance, "an earlier example starts a maintenance").not.toBeNull();
          query = query.replaceAll('"<id of the maintenance>"', JSON.stringify(maintenance));
        }
        expect(query, "every placeholder is one the test knows").not.toMatch(/<[^>]*>/);
        if (query.includes("endMaintenance")) {
          // "Once it is IN_MAINTENANCE ..."
          await eventually(
            async () => (await state("HV-A02")) === "IN_MAINTENANCE",
            600_000,
            "HV-A02 drained",
          );
          drained = await vmsOn("HV-A02");
          // The settings change before it is an agent command: wait until HV-A01 reports it.
          await eventually(
            async () =>
              (
                await api.gqlOk<{ host: { migrationSettings: { authenticationType: string } } }>(
                  '{ host(name: "HV-A01") { migrationSettings { authenticationType } } }',
                )
              ).host.migrationSettings.authenticationType === "CREDSSP",
            60_000,
            "HV-A01 on CredSSP",
          );
        }
        const problems: string[] = [];
        const operation = parse(query).definitions[0] as OperationDefinitionNode;
        if (operation.operation === "subscription") {
          const feed = collect<unknown>(ws, query);
          await feed.next(() => true, 60_000);
          feed.stop();
          if (feed.errors.length) problems.push(`subscription errors: ${JSON.stringify(feed.errors)}`);
        } else {
          const result = await api.gql(query);
          if (result.errors?.length || result.status !== 200)
            problems.push(`(${result.status}) ${JSON.stringify(result.errors)}`);
          problems.push(...payloadErrors(result.data));
          const started = (
            result.data as { startMaintenance?: { maintenance?: { id: string } | null } } | null
          )?.startMaintenance?.maintenance?.id;
          if (started) maintenance = started;
        }
        expect(problems, `README example:\n${example}`).toEqual([]);
      }
      await eventually(async () => (await state("HV-A02")) === null, 600_000, "HV-A02's maintenance ENDED");
    } finally {
      await ws.dispose();
    }
    // VMs left during the drain (those that could) and every one of them came back.
    expect(drained.length).toBeLessThan(before.length);
    expect(await vmsOn("HV-A02")).toEqual(before);
  }, 1_200_000);
});
