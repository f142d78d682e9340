// Agent identity: a credential is bound to its host. It reports only for its own host, receives
// only its own commands, answers only its own commands, and revoking it closes its socket.

import { issueCommand } from "@ferry/api/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";
import { collect } from "../helpers/ws.ts";
import { enrolledAgent } from "./principals.ts";
import { wsConnect, wsOnce } from "./transport.ts";

let api: TestApi;
let a: { credential: string; hostId: string };
let b: { credential: string; hostId: string };
const hostIdOf = async (name: string) =>
  (await api.server.app.db.prisma.host.findUniqueOrThrow({ where: { name } })).id;

function inventory(hostName: string) {
  return {
    host: {
      name: hostName,
      fqdn: null,
      domain: null,
      cpuVendor: "INTEL",
      cpuModel: "Xeon",
      logicalProcessorCount: 8,
      memoryCapacityBytes: "68719476736",
      memoryAvailableBytes: "34359738368",
      supportedVmVersions: ["10.0"],
      virtualMachinePath: "C:\\VMs",
      virtualHardDiskPath: "C:\\VHDs",
      delegations: null,
    },
    settings: {
      enabled: true,
      authenticationType: "CREDSSP",
      performanceOption: "COMPRESSION",
      maximumVirtualMachineMigrations: 2,
      maximumStorageMigrations: 2,
      useAnyNetworkForMigration: true,
      networks: [],
    },
    switches: [],
    networkAdapters: [],
    firewallRules: [],
    vms: [],
  };
}

const REPORT = `mutation($input: AgentReportInventoryInput!) { agentReportInventory(input: $input) {
  changed errors { __typename message ... on ValidationError { field } } } }`;

beforeAll(async () => {
  api = await startTestApi();
  a = await enrolledAgent(api, "HV-ID-A");
  b = await enrolledAgent(api, "HV-ID-B");
});
afterAll(async () => api?.stop());

describe("agent identity", () => {
  it("reports only for its own host", async () => {
    const own = await api.gqlOk<{ agentReportInventory: { changed: boolean } }>(
      REPORT,
      { input: { inventory: inventory("HV-ID-A"), agentVersion: "1", backend: "simulator" } },
      a.credential,
    );
    expect(own.agentReportInventory.changed).toBe(true);
    const before = await api.server.app.db.prisma.host.findUniqueOrThrow({ where: { name: "HV-ID-B" } });
    const other = await api.gqlOk<{
      agentReportInventory: { changed: null; errors: { __typename: string; field: string }[] };
    }>(
      REPORT,
      { input: { inventory: inventory("HV-ID-B"), agentVersion: "1", backend: "simulator" } },
      a.credential,
    );
    expect(other.agentReportInventory.errors[0]).toMatchObject({
      __typename: "ValidationError",
      field: "input.inventory.host.name",
    });
    const after = await api.server.app.db.prisma.host.findUniqueOrThrow({ where: { name: "HV-ID-B" } });
    expect(after).toEqual(before);
    const a2 = await api.server.app.db.prisma.host.findUniqueOrThrow({ where: { name: "HV-ID-A" } });
    expect(a2.cpuVendor).toBe("INTEL");
  });

  it("receives only its own commands and cannot answer another host's", async () => {
    const client = wsConnect(api.url, a.credential);
    const commands = collect<{ agentCommands: { id: string; type: string } }>(
      client,
      "subscription { agentCommands { id type } }",
    );
    const idA = await hostIdOf("HV-ID-A");
    const idB = await hostIdOf("HV-ID-B");
    const forB = await issueCommand(api.server.app, {
      hostId: idB,
      type: "REFRESH_INVENTORY",
      payload: {},
      requestedBy: "test",
    });
    const forA = await issueCommand(api.server.app, {
      hostId: idA,
      type: "REFRESH_INVENTORY",
      payload: {},
      requestedBy: "test",
    });
    await commands.next((e) => e.agentCommands.id === forA.id);
    expect(commands.events.map((e) => e.agentCommands.id)).not.toContain(forB.id);
    const answer = await api.gqlOk<{
      agentCommandResult: { status: string | null; errors: { __typename: string }[] | null };
    }>(
      "mutation($id: ID!) { agentCommandResult(input: {commandId: $id, succeeded: true}) { status errors { __typename } } }",
      { id: forB.id },
      a.credential,
    );
    expect(answer.agentCommandResult.errors?.[0]?.__typename).toBe("NotFoundError");
    const stillPending = await api.server.app.db.prisma.agentCommand.findUniqueOrThrow({
      where: { id: forB.id },
    });
    expect(stillPending.status).toBe("PENDING");
    // Its own command's outcome is audited as a COMMAND entry.
    await api.gqlOk(
      'mutation($id: ID!) { agentCommandResult(input: {commandId: $id, succeeded: false, errorCode: "X", errorMessage: "boom"}) { status } }',
      { id: forA.id },
      a.credential,
    );
    const entry = await api.server.app.db.prisma.auditEntry.findFirstOrThrow({
      where: { kind: "COMMAND", target: `command:${forA.id}` },
    });
    expect(entry).toMatchObject({
      actor: "agent:HV-ID-A",
      role: "AGENT",
      operation: "command:REFRESH_INVENTORY",
      outcome: "FAILED",
      errorCode: "X",
    });
    commands.stop();
    await client.dispose();
  });

  it("cannot call client fields", async () => {
    const r = await api.gql("{ hosts { totalCount } }", {}, a.credential);
    expect(r.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });

  it("revoking the credential closes the agent's socket (4403) and refuses it afterwards", async () => {
    const client = wsConnect(api.url, b.credential);
    const closed = new Promise<number>((resolve) =>
      client.on("closed", (e) => resolve((e as { code: number }).code)),
    );
    const commands = collect(client, "subscription { agentCommands { id } }");
    expect((await wsOnce(client, "{ viewer { name role } }")).data).toEqual({
      viewer: { name: "agent:HV-ID-B", role: "AGENT" },
    });
    const hostGlobalId = b.hostId;
    const revoked = await api.gqlOk<{ revokeAgentCredential: { hostName: string; revokedCount: number } }>(
      "mutation($h: ID!) { revokeAgentCredential(host: $h) { hostName revokedCount errors { message } } }",
      { h: hostGlobalId },
    );
    expect(revoked.revokeAgentCredential).toMatchObject({ hostName: "HV-ID-B", revokedCount: 1 });
    expect(await closed).toBe(4403);
    commands.stop();
    await client.dispose();
    const after = await api.gql("{ viewer { name } }", {}, b.credential);
    expect(after.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const entry = await api.server.app.db.prisma.auditEntry.findFirstOrThrow({
      where: { operation: "revokeAgentCredential" },
      orderBy: { id: "desc" },
    });
    expect(entry).toMatchObject({ outcome: "SUCCEEDED", actor: "token:bootstrap-admin", role: "ADMIN" });
  });
});
