// Unit tier: the evacuation estimates (rates, one move, the queue within slot limits, the lower bound).
import { describe, expect, it } from "vitest";
import {
  type LinkFacts,
  lowerBoundSeconds,
  migrationBytesPerSecond,
  moveSeconds,
  queueOrder,
  simulateQueue,
} from "./estimate.ts";

const link = (gbps: number, option = "TCPIP"): LinkFacts => ({
  performanceOption: option,
  useAnyNetworkForMigration: false,
  migrationSubnets: ["10.0.1.0/24"],
  adapters: [
    { linkSpeedBps: 1e9, rdmaCapable: false, ipAddresses: ["192.168.0.5"] },
    { linkSpeedBps: gbps * 1e9, rdmaCapable: false, ipAddresses: ["10.0.1.5"] },
  ],
});

describe("evacuation estimates", () => {
  it("memory crosses at the slower side's migration link, capped by the transport", () => {
    expect(migrationBytesPerSecond(link(10), link(10))).toBe(7e9 / 8); // TCP/IP: one CPU-bound stream
    expect(migrationBytesPerSecond(link(10), link(1))).toBe(1e9 / 8);
    expect(migrationBytesPerSecond(link(1, "COMPRESSION"), link(10))).toBe(2e9 / 8);
    // Adapters outside the migration networks are not used (the 1 Gbit management adapter here).
    expect(migrationBytesPerSecond(link(25, "SMB"), link(25))).toBe((25e9 * 0.9) / 8);
  });

  it("a move: setup plus memory (re-copied dirty pages) plus its storage at disk speed", () => {
    expect(moveSeconds({ memoryBytes: 875e6, storageBytes: 0 }, 875e6)).toBeCloseTo(1 + 1.05);
    expect(moveSeconds({ memoryBytes: 0, storageBytes: 0 }, 875e6)).toBe(2);
    expect(moveSeconds({ memoryBytes: 0, storageBytes: 4e9 }, 875e6)).toBeCloseTo(2 + 10);
  });

  it("the queue starts moves in order within the source's and each destination's slots", () => {
    const t = simulateQueue(
      [
        { destinationHostId: "a", seconds: 10 },
        { destinationHostId: "a", seconds: 10 },
        { destinationHostId: "a", seconds: 10 },
        { destinationHostId: "b", seconds: 5 },
      ],
      3,
      (id) => (id === "a" ? 2 : 1),
    );
    // a has 2 slots: the third move to a waits for one; the move to b may not overtake it (FIFO).
    expect(t.startAt).toEqual([0, 0, 10, 10]);
    expect(t.totalSeconds).toBe(20);
  });

  it("the queue order: longest first, but a move whose destination is full gives way to one that can start", () => {
    const moves = [
      { destinationHostId: "a", seconds: 10 },
      { destinationHostId: "a", seconds: 10 },
      { destinationHostId: "b", seconds: 10 },
      { destinationHostId: "b", seconds: 10 },
    ];
    const slots = () => 1;
    // In list order the second move to a waits for a's one slot and holds the source's other slot.
    expect(simulateQueue(moves, 2, slots).totalSeconds).toBe(30);
    const order = queueOrder(moves, 2, slots);
    expect(order).toEqual([0, 2, 1, 3]);
    expect(
      simulateQueue(
        order.map((i) => moves[i]!),
        2,
        slots,
      ).totalSeconds,
    ).toBe(20);
  });

  it("the lower bound: all transfers over the lanes at once, never below the longest one", () => {
    expect(
      lowerBoundSeconds([{ seconds: 10 }, { seconds: 10 }, { seconds: 10 }, { seconds: 10 }], 2, 8),
    ).toBe(20);
    expect(lowerBoundSeconds([{ seconds: 30 }, { seconds: 2 }], 2, 8)).toBe(30);
    expect(lowerBoundSeconds([{ seconds: 10 }, { seconds: 10 }], 4, 1)).toBe(20);
    expect(lowerBoundSeconds([], 2, 2)).toBe(0);
  });
});
