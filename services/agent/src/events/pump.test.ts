// The event pump tells the agent when Hyper-V logged something, so the agent reads the inventory then
// instead of waiting for its (now 60 s) periodic read; nothing new, no call.
import { describe, expect, it } from "vitest";
import type { HostEvent, HyperVBackend } from "../backends/types.ts";
import { createEventPump } from "./pump.ts";

const event = (recordId: number): HostEvent => ({
  recordId,
  eventId: 20417,
  level: "Information",
  timeCreated: "2026-12-02T02:00:00.000Z",
  message: "VM started",
  vmName: "web-01",
});

describe("event pump", () => {
  it("calls onEvents with each batch it reported, and not when nothing is new", async () => {
    const pending = [[event(1), event(2)], [] as HostEvent[]];
    const backend = { readEvents: async () => pending.shift() ?? [] } as unknown as HyperVBackend;
    const seen: number[][] = [];
    const pump = createEventPump({
      backend,
      request: (async () => ({ agentReportEvents: { bookmark: "2", stored: 2, errors: null } })) as never,
      intervalMs: 3_600_000,
      log: () => {},
      onEvents: (events) => seen.push(events.map((e) => e.recordId)),
    });
    await pump.kick();
    await pump.kick();
    await pump.stop();
    expect(seen).toEqual([[1, 2]]);
  });
});
