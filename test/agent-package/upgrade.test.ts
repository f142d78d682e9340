// Issue 14 "upgrade": a newer package unpacked next to an older one and started on the same state folder
// (what install.ps1 does: new files in the program folder, %ProgramData%\Ferry untouched) keeps the
// credential (no new enrollment: the single-use token is spent), the command journal and the
// configuration, and reports its new version. Two real packages, built by the packaging script.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateFleet, SimWorld } from "@ferry/agent/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import type { Proc } from "../helpers/processes.ts";
import { packageVersion, startPackaged, unpack } from "./helpers.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-upgrade-"));
const stateDir = path.join(root, "ProgramData-Ferry");
const configFile = path.join(stateDir, "ferry-agent.json");
const worldFile = path.join(root, "world.json");
let api: TestApi;
let older: string;
let newer: string;
const procs: Proc[] = [];

beforeAll(async () => {
  const [a, b] = await Promise.all([
    packageVersion("0.9.0", path.join(root, "dist-a")),
    packageVersion("0.9.1", path.join(root, "dist-b")),
  ]);
  older = unpack(a, "ferry-agent-0.9.0-");
  newer = unpack(b, "ferry-agent-0.9.1-");
  api = await startTestApi();
}, 300_000);

afterAll(async () => {
  for (const p of procs) await p.stop().catch(() => undefined);
  await api?.stop();
  for (const d of [older, newer, root]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

type HostAgent = { host: { id: string; agent: { connected: boolean; version: string | null } } | null };

async function connectedWith(host: string, version: string, agent: Proc): Promise<string> {
  const found = await eventually(
    async () => {
      const { host: h } = await api.gqlOk<HostAgent>(
        "query($h: String!) { host(name: $h) { id agent { connected version } } }",
        {
          h: host,
        },
      );
      return h?.agent.connected && h.agent.version === version ? h : null;
    },
    120_000,
    `agent ${version} connected`,
  ).catch((error) => {
    throw new Error(`${(error as Error).message}\n${agent.output().slice(-3000)}`);
  });
  return found.id;
}

describe("upgrading the agent package", () => {
  it("a newer package on the same state folder keeps credential, journal and configuration", {
    timeout: 300_000,
  }, async () => {
    SimWorld.openFile(worldFile, generateFleet({ hosts: 1, vmsPerHost: 2, seed: 21 }));
    const host = SimWorld.openFile(worldFile).hostNames()[0]!;
    const { createAgentEnrollment } = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
      "mutation($h: String!) { createAgentEnrollment(input: {hostName: $h}) { token } }",
      { h: host },
    );
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(
      configFile,
      `${JSON.stringify({ apiUrls: [api.url], enrollmentToken: createAgentEnrollment.token, stateDir, logLevel: "debug", backend: "simulator" }, null, 2)}\n`,
    );
    const args = ["run", "--config", configFile, "--sim-world", worldFile, "--sim-host", host];

    const v1 = startPackaged(older, args);
    procs.push(v1);
    const hostId = await connectedWith(host, "0.9.0", v1);
    // A command the old agent runs and journals.
    const { enableMigration } = await api.gqlOk<{ enableMigration: { operations: { id: string }[] } }>(
      "mutation($hosts: [ID!]!) { enableMigration(hosts: $hosts) { operations { id } errors { message } } }",
      { hosts: [hostId] },
    );
    const opId = enableMigration.operations[0]!.id;
    await eventually(
      async () => {
        const { node } = await api.gqlOk<{ node: { status: string } }>(
          "query($id: ID!) { node(id: $id) { ... on HostOperation { status } } }",
          { id: opId },
        );
        return node.status === "SUCCEEDED";
      },
      60_000,
      "the old agent runs the command",
    );
    await v1.stop();
    const before = Object.fromEntries(
      fs
        .readdirSync(stateDir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => [f, fs.readFileSync(path.join(stateDir, f), "utf8")]),
    );
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["credential.json", "ferry-agent.json"]));
    const journalBefore = JSON.parse(before["journal.json"] ?? "[]") as {
      commandId: string;
      succeeded: boolean;
    }[];
    expect(journalBefore.length, "the old agent journalled its command").toBeGreaterThan(0);

    // The upgrade: the newer package's files, the same state folder and configuration.
    const v2 = startPackaged(newer, args);
    procs.push(v2);
    expect(await connectedWith(host, "0.9.1", v2)).toBe(hostId);
    await v2.stop();
    const readState = (f: string) => fs.readFileSync(path.join(stateDir, f), "utf8");
    expect(readState("credential.json")).toBe(before["credential.json"]);
    expect(readState("ferry-agent.json")).toBe(before["ferry-agent.json"]);
    // The journal keeps what the old agent recorded (the new one may add to it).
    const journalAfter = JSON.parse(readState("journal.json")) as { commandId: string }[];
    expect(journalAfter.map((e) => e.commandId)).toEqual(
      expect.arrayContaining(journalBefore.map((e) => e.commandId)),
    );
    expect(v2.output()).not.toContain('"msg":"enrolled"');
    const agents = await api.gqlOk<{ hosts: { totalCount: number } }>("{ hosts(first: 10) { totalCount } }");
    expect(agents.hosts.totalCount).toBe(1);
  });
});
