// The contract itself: every agent document is valid against the printed schema, every command type
// survives the trip API -> JSON -> agent through the same schemas, and the wire codec keeps bigints.
import fs from "node:fs";
import path from "node:path";
import { buildSchema, print, validate } from "graphql";
import { describe, expect, it } from "vitest";
import {
  AGENT_DOCUMENTS,
  COMMAND_TYPES,
  COMMANDS,
  CommandParseError,
  type CommandPayload,
  type CommandResult,
  type CommandType,
  commandBodySchema,
  commandOf,
  eventReportSchema,
  inventorySchema,
  jobUpdateSchema,
  parseCommand,
  parseCommandResult,
  toWire,
} from "./index.ts";

const schema = buildSchema(
  fs.readFileSync(path.resolve(import.meta.dirname, "../../../schema.graphql"), "utf8"),
);

describe("agent documents", () => {
  for (const [name, document] of Object.entries(AGENT_DOCUMENTS)) {
    it(`${name} is valid against schema.graphql`, () => {
      // Printed and re-parsed by validate's caller: what the agent sends over the wire.
      expect(validate(schema, document).map((e) => e.message)).toEqual([]);
      expect(print(document)).toContain(name);
    });
  }
});

const MIGRATION = "6f1c1d0e-7f59-4a5a-9a39-0b3e6c9a3b01";
const SETTINGS = {
  enabled: true,
  authenticationType: "KERBEROS" as const,
  performanceOption: "COMPRESSION" as const,
  maximumVirtualMachineMigrations: 2,
  maximumStorageMigrations: 2,
  useAnyNetworkForMigration: false,
  networks: [{ subnet: "10.0.1.0/24", priority: 1 }],
};

/** One example of every command type (a missing type does not compile). */
const SAMPLES: { [T in CommandType]: { payload: CommandPayload<T>; result: CommandResult<T> } } = {
  START_MOVE: {
    payload: {
      migrationId: MIGRATION,
      kind: "LIVE_WITH_STORAGE",
      vmId: "0a7c3c52-3b76-4c4f-9d7e-2e0a2b5f0c11",
      destinationHost: "HV-B01",
      includeStorage: true,
      destinationStoragePath: "D:\\VMs\\web-01",
      vhds: [{ sourcePath: "C:\\VMs\\a.vhdx", destinationPath: "D:\\VMs\\a.vhdx" }],
    },
    result: { jobId: "job-1", adopted: false },
  },
  CANCEL_MOVE: { payload: { migrationId: MIGRATION }, result: { requested: true } },
  JOB_STATUS: {
    payload: {
      migrationId: MIGRATION,
      kind: "LIVE",
      vmId: "0a7c3c52-3b76-4c4f-9d7e-2e0a2b5f0c11",
      destinationHost: "HV-B01",
      includeStorage: false,
      destinationStoragePath: null,
      vhds: [],
    },
    result: { following: false, jobId: null },
  },
  COMPARE_VM: {
    payload: { vmId: "vm-1", destinationHost: "HV-B01" },
    result: { issues: [{ message: "The processor is incompatible.", messageId: 24004, source: null }] },
  },
  REFRESH_INVENTORY: { payload: {}, result: {} },
  ENABLE_MIGRATION: { payload: {}, result: { settings: SETTINGS } },
  DISABLE_MIGRATION: { payload: {}, result: { settings: { ...SETTINGS, enabled: false } } },
  ADD_MIGRATION_NETWORK: {
    payload: { subnet: "10.0.2.0/24", priority: null },
    result: { settings: SETTINGS, added: true },
  },
  REMOVE_MIGRATION_NETWORK: { payload: { subnet: "10.0.1.0/24" }, result: { settings: SETTINGS } },
  SET_MIGRATION_SETTINGS: {
    payload: { maximumVirtualMachineMigrations: 4, authenticationType: "CREDSSP" },
    result: { settings: SETTINGS },
  },
  APPLY_MIGRATION_SETTINGS: {
    payload: { enabled: true, networks: [{ subnet: "10.0.1.0/24", priority: 1 }], performanceOption: "SMB" },
    result: { settings: SETTINGS, changes: ["enabled migration"] },
  },
  SET_PROCESSOR_COMPATIBILITY: {
    payload: { vmId: "vm-1", enabled: true },
    result: { vmId: "vm-1", processorCompatibilityForMigration: true },
  },
  SAVE_VM: { payload: { vmId: "vm-1" }, result: { vmId: "vm-1", state: "SAVED", changed: true } },
  STOP_VM: { payload: { vmId: "vm-1" }, result: { vmId: "vm-1", state: "OFF", changed: false } },
};

describe("commands", () => {
  it("the discriminated union lists every command type", () => {
    expect(commandBodySchema.options.map((o) => o.shape.type.value).sort()).toEqual(
      [...COMMAND_TYPES].sort(),
    );
  });

  for (const type of COMMAND_TYPES) {
    it(`${type} round-trips API -> wire -> agent, and its result agent -> wire -> API`, () => {
      const sample = SAMPLES[type];
      const body = commandOf(type, sample.payload as never);
      // What the API writes and the subscription sends.
      const wire = JSON.parse(
        JSON.stringify({
          id: "c1",
          ...body,
          migrationId: null,
          createdAt: new Date(0).toISOString(),
          expiresAt: null,
        }),
      );
      const received = parseCommand(wire);
      expect(received.type).toBe(type);
      expect(received.payload).toEqual(sample.payload);
      const answered = JSON.parse(JSON.stringify(sample.result));
      expect(parseCommandResult(type, answered)).toEqual(sample.result);
    });
  }

  it("refuses an unknown type and a malformed payload, naming the field", () => {
    const base = { id: "c1", migrationId: null, createdAt: "x", expiresAt: null };
    expect(() => parseCommand({ ...base, type: "FORMAT_DISK", payload: {} })).toThrow(/unknown command type/);
    expect(() =>
      parseCommand({
        ...base,
        type: "START_MOVE",
        payload: { ...SAMPLES.START_MOVE.payload, kind: "TELEPORT" },
      }),
    ).toThrow(CommandParseError);
    expect(() =>
      parseCommand({ ...base, type: "SET_PROCESSOR_COMPATIBILITY", payload: { vmId: "v" } }),
    ).toThrow(/enabled/);
    expect(() => commandOf("CANCEL_MOVE", {} as never)).toThrow();
    expect(COMMANDS.START_MOVE.result.safeParse({ jobId: 7 }).success).toBe(false);
  });
});

describe("reports", () => {
  it("an inventory with bigints survives toWire and the schema exactly", () => {
    const inventory = {
      host: {
        name: "HV-A01",
        fqdn: null,
        domain: null,
        cpuVendor: "INTEL" as const,
        cpuModel: "Xeon",
        logicalProcessorCount: 32,
        memoryCapacityBytes: 2n ** 40n,
        memoryAvailableBytes: 123456789012345n,
        supportedVmVersions: ["9.0"],
        virtualMachinePath: "C:\\VMs",
        virtualHardDiskPath: "C:\\VHDs",
        delegations: null,
      },
      settings: SETTINGS,
      switches: [{ name: "External", switchType: "External" as const }],
      networkAdapters: [{ name: "NIC1", linkSpeedBps: 25_000_000_000n, rdmaCapable: true, ipAddresses: [] }],
      firewallRules: [],
      volumes: [{ root: "D:\\", freeBytes: 9_007_199_254_740_993n }],
      vms: [],
    };
    const wire = toWire(inventory) as { host: { memoryCapacityBytes: unknown } };
    expect(wire.host.memoryCapacityBytes).toBe("1099511627776");
    expect(inventorySchema.parse(wire)).toEqual(inventory);
  });

  it("job updates and event reports parse their wire form", () => {
    expect(
      jobUpdateSchema.parse({
        migrationId: MIGRATION,
        jobId: "j",
        state: "FAILED",
        percentComplete: 40,
        errorCode: "NETWORK_RESET",
        errorMessage: "reset",
        eventId: 21502,
      }).state,
    ).toBe("FAILED");
    const [event] = eventReportSchema.parse(
      toWire([
        {
          recordId: 2n ** 40n,
          eventId: 20417,
          level: "Warning",
          timeCreated: "2026-12-01T00:00:00Z",
          message: "m",
          vmName: null,
        },
      ]),
    );
    expect(event?.recordId).toBe(2n ** 40n);
    expect(event?.level).toBe("WARNING");
  });
});
