// Issue 5 "done when": each configuration mutation changes what `hosts` reports, on one host and
// on several at once; every bad input gets its typed error and leaves every host unchanged.
// Through GraphQL over HTTP, with simulated agents; subscriptions with the real graphql-ws client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { collect, wsClient } from "../helpers/ws.ts";
import { applyOk, ERRORS_FIELDS, hostByName, hosts, OPS_FIELDS, type Operation, settled } from "./helpers.ts";

let api: TestApi;
let fleet: TestFleet;
let ids: Record<string, string>;

beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { hosts: 3, timeScale: 200, vmsPerHost: 3 });
  ids = Object.fromEntries((await hosts(api)).map((h) => [h.name, h.id]));
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const ENABLE = `mutation($hosts: [ID!]!) { enableMigration(hosts: $hosts) { ${OPS_FIELDS} ${ERRORS_FIELDS} } }`;
const DISABLE = `mutation($hosts: [ID!]!) { disableMigration(hosts: $hosts) { ${OPS_FIELDS} ${ERRORS_FIELDS} } }`;
const ADD = `mutation($input: AddMigrationNetworkInput!) { addMigrationNetwork(input: $input) { ${OPS_FIELDS} ${ERRORS_FIELDS} } }`;
const REMOVE = `mutation($input: RemoveMigrationNetworkInput!) { removeMigrationNetwork(input: $input) { ${OPS_FIELDS} ${ERRORS_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateMigrationSettingsInput!) { updateMigrationSettings(input: $input) { ${OPS_FIELDS} ${ERRORS_FIELDS} } }`;

const all = () => Object.values(ids);

describe("configuration mutations change what hosts reports", () => {
  it("disableMigration / enableMigration on one host, then on several", async () => {
    const [a, b, c] = fleet.hostNames as [string, string, string];
    const ops = await applyOk(api, DISABLE, { hosts: [ids[a]] });
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ kind: "DISABLE_MIGRATION", host: { name: a } });
    // The agent reports its inventory before it answers: no waiting needed after SUCCEEDED.
    expect((await hostByName(api, a)).migrationSettings.enabled).toBe(false);
    expect((await hostByName(api, b)).migrationSettings.enabled).toBe(true);

    await applyOk(api, DISABLE, { hosts: [ids[b], ids[c]] });
    for (const h of await hosts(api)) expect(h.migrationSettings.enabled).toBe(false);

    const enabled = await applyOk(api, ENABLE, { hosts: all() });
    expect(enabled.map((o) => o.host.name).sort()).toEqual([a, b, c].sort());
    for (const h of await hosts(api)) expect(h.migrationSettings.enabled).toBe(true);
  });

  it("addMigrationNetwork (IPv4 on several, IPv6 on one), priority update, removeMigrationNetwork", async () => {
    const [a, b] = fleet.hostNames as [string, string];
    await applyOk(api, ADD, { input: { hosts: all(), subnet: "10.99.0.0/16", priority: 7 } });
    for (const h of await hosts(api))
      expect(h.migrationSettings.networks).toContainEqual({ subnet: "10.99.0.0/16", priority: 7 });

    // Non-canonical IPv6 text is stored in canonical form.
    await applyOk(api, ADD, { input: { hosts: [ids[a]], subnet: "FD00:0099:0:0::/64" } });
    expect((await hostByName(api, a)).migrationSettings.networks).toContainEqual({
      subnet: "fd00:99::/64",
      priority: null,
    });
    expect((await hostByName(api, b)).migrationSettings.networks.map((n) => n.subnet)).not.toContain(
      "fd00:99::/64",
    );

    // Adding an existing subnet again sets its priority.
    await applyOk(api, ADD, { input: { hosts: [ids[b]], subnet: "10.99.0.0/16", priority: 3 } });
    expect((await hostByName(api, b)).migrationSettings.networks).toContainEqual({
      subnet: "10.99.0.0/16",
      priority: 3,
    });

    await applyOk(api, REMOVE, { input: { hosts: all(), subnet: "10.99.0.0/16" } });
    await applyOk(api, REMOVE, { input: { hosts: [ids[a]], subnet: "fd00:99::/64" } });
    for (const h of await hosts(api)) {
      const subnets = h.migrationSettings.networks.map((n) => n.subnet);
      expect(subnets).not.toContain("10.99.0.0/16");
      expect(subnets).not.toContain("fd00:99::/64");
    }
  });

  it("updateMigrationSettings: authentication, transport, both limits, use-any-network", async () => {
    const [a, b, c] = fleet.hostNames as [string, string, string];
    const before = await hostByName(api, c);
    await applyOk(api, UPDATE, {
      input: {
        hosts: [ids[a], ids[b]],
        authenticationType: "KERBEROS",
        performanceOption: "SMB",
        maximumVirtualMachineMigrations: 5,
        maximumStorageMigrations: 3,
        useAnyNetworkForMigration: true,
      },
    });
    for (const name of [a, b]) {
      expect((await hostByName(api, name)).migrationSettings).toMatchObject({
        authenticationType: "KERBEROS",
        performanceOption: "SMB",
        maximumVirtualMachineMigrations: 5,
        maximumStorageMigrations: 3,
        useAnyNetworkForMigration: true,
      });
    }
    expect(await hostByName(api, c)).toEqual(before);

    // One setting on one host leaves the others as they are.
    await applyOk(api, UPDATE, { input: { hosts: [ids[a]], performanceOption: "TCPIP" } });
    expect((await hostByName(api, a)).migrationSettings).toMatchObject({
      performanceOption: "TCPIP",
      authenticationType: "KERBEROS",
      maximumVirtualMachineMigrations: 5,
    });
  });

  it("hostOperationChanged follows an operation from PENDING to SUCCEEDED", async () => {
    const client = wsClient(api.url, ADMIN_TOKEN);
    const a = fleet.hostNames[0]!;
    const feed = collect<{ hostOperationChanged: Operation }>(
      client,
      `subscription($host: ID) { hostOperationChanged(host: $host) { id kind status host { name } } }`,
      { host: ids[a] },
    );
    await new Promise((r) => setTimeout(r, 300));
    const data = await api.gqlOk<{ updateMigrationSettings: { operations: Operation[] } }>(UPDATE, {
      input: { hosts: [ids[a]], maximumStorageMigrations: 4 },
    });
    const id = data.updateMigrationSettings.operations[0]!.id;
    const done = await feed.next(
      (e) => e.hostOperationChanged.id === id && e.hostOperationChanged.status === "SUCCEEDED",
    );
    expect(done.hostOperationChanged).toMatchObject({ kind: "SET_MIGRATION_SETTINGS", host: { name: a } });
    expect(
      feed.events.some(
        (e) => e.hostOperationChanged.id === id && e.hostOperationChanged.status === "PENDING",
      ),
    ).toBe(true);
    feed.stop();
    await client.dispose();
  });

  it("a Hyper-V refusal is the operation's own failure, with the typed code", async () => {
    const a = fleet.hostNames[0]!;
    // The API validates against the stored inventory; remove the network behind its back first.
    await applyOk(api, ADD, { input: { hosts: [ids[a]], subnet: "10.77.0.0/16" } });
    await fleet.world.backend(a).removeMigrationNetwork("10.77.0.0/16");
    const data = await api.gqlOk<{ removeMigrationNetwork: { operations: Operation[] } }>(REMOVE, {
      input: { hosts: [ids[a]], subnet: "10.77.0.0/16" },
    });
    const [op] = await settled(api, [data.removeMigrationNetwork.operations[0]!.id]);
    expect(op).toMatchObject({ status: "FAILED", errorCode: "NETWORK_NOT_FOUND" });
    expect(op!.errorMessage).toContain("10.77.0.0/16");
    // The agent reported the real inventory even though the change failed.
    expect((await hostByName(api, a)).migrationSettings.networks.map((n) => n.subnet)).not.toContain(
      "10.77.0.0/16",
    );
  });
});

describe("bad input: a typed error naming the field, and no host changes", () => {
  const unknownHost = Buffer.from("Host:00000000-0000-4000-8000-000000000000").toString("base64");
  const vmLike = Buffer.from("VirtualMachine:00000000-0000-4000-8000-000000000000").toString("base64");

  type Case = {
    name: string;
    query: string;
    variables: () => Record<string, unknown>;
    /** Typed payload error, or `graphql` for a GraphQL validation error (enum values). */
    expected: { __typename: string; field?: string } | "graphql";
  };
  const h = (i: number) => ids[fleet.hostNames[i]!]!;
  const cases: Case[] = [
    {
      name: "no hosts",
      query: ENABLE,
      variables: () => ({ hosts: [] }),
      expected: { __typename: "ValidationError", field: "hosts" },
    },
    {
      name: "not a global id",
      query: DISABLE,
      variables: () => ({ hosts: [h(0), "garbage"] }),
      expected: { __typename: "ValidationError", field: "hosts[1]" },
    },
    {
      name: "an id of another type",
      query: DISABLE,
      variables: () => ({ hosts: [vmLike] }),
      expected: { __typename: "ValidationError", field: "hosts[0]" },
    },
    {
      name: "a host listed twice",
      query: DISABLE,
      variables: () => ({ hosts: [h(0), h(1), h(0)] }),
      expected: { __typename: "ValidationError", field: "hosts[2]" },
    },
    {
      name: "an unknown host among known ones",
      query: DISABLE,
      variables: () => ({ hosts: [h(0), h(1), unknownHost] }),
      expected: { __typename: "NotFoundError" },
    },
    ...[
      ["no prefix", "10.0.1.0"],
      ["IPv4 prefix too long", "10.0.1.0/33"],
      ["host bits set", "10.0.1.7/24"],
      ["octet out of range", "10.0.256.0/24"],
      ["bad IPv6 group", "fd00::zz/64"],
      ["IPv6 prefix too long", "fd00::/129"],
      ["two double colons", "fd00::1::/64"],
      ["injection attempt", "10.0.0.0/8'; Remove-Item C:\\ -Recurse; '"],
      ["empty", ""],
    ].map(
      ([what, subnet]): Case => ({
        name: `addMigrationNetwork subnet: ${what}`,
        query: ADD,
        variables: () => ({ input: { hosts: [h(0), h(1)], subnet, priority: 1 } }),
        expected: { __typename: "ValidationError", field: "input.subnet" },
      }),
    ),
    {
      name: "negative priority",
      query: ADD,
      variables: () => ({ input: { hosts: [h(0)], subnet: "10.5.0.0/16", priority: -1 } }),
      expected: { __typename: "ValidationError", field: "input.priority" },
    },
    {
      name: "addMigrationNetwork to an unknown host",
      query: ADD,
      variables: () => ({ input: { hosts: [h(0), unknownHost], subnet: "10.5.0.0/16" } }),
      expected: { __typename: "NotFoundError" },
    },
    {
      name: "removeMigrationNetwork of a subnet one host lacks",
      query: REMOVE,
      variables: () => ({ input: { hosts: [h(0), h(1)], subnet: "10.123.0.0/16" } }),
      expected: { __typename: "ValidationError", field: "input.subnet" },
    },
    {
      name: "updateMigrationSettings without any setting",
      query: UPDATE,
      variables: () => ({ input: { hosts: [h(0)] } }),
      expected: { __typename: "ValidationError", field: "input" },
    },
    {
      name: "zero live-migration limit",
      query: UPDATE,
      variables: () => ({ input: { hosts: [h(0), h(1)], maximumVirtualMachineMigrations: 0 } }),
      expected: { __typename: "ValidationError", field: "input.maximumVirtualMachineMigrations" },
    },
    {
      name: "negative storage limit (with a valid other setting)",
      query: UPDATE,
      variables: () => ({
        input: { hosts: [h(0)], performanceOption: "TCPIP", maximumStorageMigrations: -3 },
      }),
      expected: { __typename: "ValidationError", field: "input.maximumStorageMigrations" },
    },
    {
      name: "limit above 4096",
      query: UPDATE,
      variables: () => ({ input: { hosts: [h(0)], maximumVirtualMachineMigrations: 5000 } }),
      expected: { __typename: "ValidationError", field: "input.maximumVirtualMachineMigrations" },
    },
    {
      name: "valid settings for an unknown host among known ones",
      query: UPDATE,
      variables: () => ({ input: { hosts: [h(0), h(1), unknownHost], maximumStorageMigrations: 9 } }),
      expected: { __typename: "NotFoundError" },
    },
    {
      name: "an unknown authentication type",
      query: UPDATE,
      variables: () => ({ input: { hosts: [h(0)], authenticationType: "NTLM" } }),
      expected: "graphql",
    },
    {
      name: "an unknown performance option",
      query: UPDATE,
      variables: () => ({ input: { hosts: [h(0)], performanceOption: "SMBTransport" } }),
      expected: "graphql",
    },
  ];

  it.each(cases)("$name", async ({ query, variables, expected }) => {
    const prisma = api.server.app.db.prisma;
    const before = await hosts(api);
    const commandsBefore = await prisma.agentCommand.count();
    const result = await api.gql<
      Record<string, { operations: unknown; errors: { __typename: string; field?: string }[] }>
    >(query, variables());
    if (expected === "graphql") {
      // GraphQL itself refuses an enum value outside the type before any resolver runs.
      expect(result.errors?.length).toBeGreaterThan(0);
      expect(result.data ?? null).toBeNull();
    } else {
      expect(result.errors, JSON.stringify(result)).toBeUndefined();
      const payload = Object.values(result.data)[0]!;
      expect(payload.operations).toBeNull();
      expect(payload.errors).toHaveLength(1);
      expect(payload.errors[0]).toMatchObject(expected);
    }
    // Nothing was issued for any host, and no host changed.
    expect(await prisma.agentCommand.count()).toBe(commandsBefore);
    await new Promise((r) => setTimeout(r, 50));
    expect(await hosts(api)).toEqual(before);
  });

  it("configuration changes need the ADMIN role (an enrollment token is refused)", async () => {
    const created = await api.gqlOk<{ createAgentEnrollment: { token: string } }>(
      `mutation { createAgentEnrollment(input: {hostName: "HV-NOT-ADMIN"}) { token } }`,
    );
    const commandsBefore = await api.server.app.db.prisma.agentCommand.count();
    const denied = await api.gql(ENABLE, { hosts: [h(0)] }, created.createAgentEnrollment.token);
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await api.server.app.db.prisma.agentCommand.count()).toBe(commandsBefore);
  });
});
