// Issue 10 item 4: the audit log records what callers did (every mutation call, allowed or denied)
// and agent command outcomes; agent telemetry (inventory reports, job progress, event reports) is
// not one entry per call. Before, a fleet at rest wrote one agentReportInventory entry per report.
import { decodeGlobalID } from "@pothos/plugin-relay";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "../migrations/world.ts";
import { createToken, enrolledAgent } from "../security/principals.ts";

let api: TestApi;
let fleet: TestFleet;
beforeAll(async () => {
  api = await startTestApi();
  fleet = await startTestFleet(api, { definition: pairWorld(2, 2, 50) });
});
afterAll(async () => {
  await fleet?.stop();
  await api?.stop();
});

const count = (where: Record<string, unknown>) => api.server.app.db.prisma.auditEntry.count({ where });
const TELEMETRY = ["agentReportInventory", "agentJobUpdate", "agentReportEvents"];

describe("audit of agent telemetry", () => {
  it("a move leaves its mutation and command outcomes, not one entry per report", async () => {
    const ids = await fleetIds(api.gqlOk);
    const moved = await api.gqlOk<{ moveVm: { migration: { id: string } } }>(MOVE_GQL, {
      input: { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2 },
    });
    const id = moved.moveVm.migration.id;
    await eventually(
      async () => {
        const m = await api.gqlOk<{ node: { state: string } }>(MIGRATION_GQL, { id });
        return m.node.state === "SUCCEEDED";
      },
      60_000,
      "the move to succeed",
    );
    // The agents did report: inventory, job progress (the timeline has samples).
    const host = await api.server.app.db.prisma.host.findFirstOrThrow({ where: { name: "HV1" } });
    expect(host.inventoryReportedAt).not.toBeNull();
    expect(
      await api.server.app.db.prisma.migrationSample.count({ where: { migrationId: decodeGlobalID(id).id } }),
    ).toBeGreaterThan(0);
    expect(await count({ operation: "moveVm", outcome: "SUCCEEDED" })).toBe(1);
    expect(await count({ kind: "COMMAND" })).toBeGreaterThan(0);
    expect(await count({ operation: { in: TELEMETRY } })).toBe(0);
  });

  it("refused telemetry is audited; failed telemetry at most once a minute per agent and error", async () => {
    const viewer = (await createToken(api, "tele-viewer", "VIEWER")).secret;
    const denied = await api.gql(
      "mutation { agentReportEvents(input: {events: []}) { stored errors { message } } }",
      {},
      viewer,
    );
    expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(await count({ operation: "agentReportEvents", outcome: "DENIED" })).toBe(1);

    const agent = await enrolledAgent(api, "HV-TELEMETRY");
    const update = `mutation { agentJobUpdate(input: {migrationId: "00000000-0000-4000-8000-000000000000",
      state: RUNNING, percentComplete: 5}) { errors { __typename } } }`;
    for (let i = 0; i < 3; i++) {
      const r = await api.gqlOk<{ agentJobUpdate: { errors: { __typename: string }[] | null } }>(
        update,
        {},
        agent.credential,
      );
      expect(r.agentJobUpdate.errors?.[0]?.__typename).toBe("NotFoundError");
    }
    expect(await count({ operation: "agentJobUpdate", outcome: "FAILED", actor: "agent:HV-TELEMETRY" })).toBe(
      1,
    );
  });
});
