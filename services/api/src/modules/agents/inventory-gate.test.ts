import { describe, expect, it } from "vitest";
import { poolSizeOf } from "../../db/pool-size.ts";
import { createGate, reportSlots, WaitedTooLong } from "./inventory-gate.ts";

describe("inventory gate", () => {
  it("runs at most `limit` at once and the rest in order of arrival", async () => {
    const gate = createGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const runs = [0, 1, 2, 3, 4].map((i) =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        order.push(i);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return i;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1]);
    expect(gate.waiting()).toBe(3);
    while (order.length < 5 || releases.length > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(gate.waiting()).toBe(0);
  });

  it("frees the slot of a report that failed", async () => {
    const gate = createGate(1);
    await expect(gate.run(() => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect(await gate.run(async () => "next")).toBe("next");
  });

  it("refuses, without running it, one whose turn came after maxWaitMs; the next in line runs", async () => {
    const gate = createGate(1, 30);
    let release!: () => void;
    const first = gate.run(() => new Promise<void>((r) => (release = r)));
    let ran = false;
    const late = gate.run(async () => {
      ran = true;
    });
    await new Promise((r) => setTimeout(r, 60));
    const onTime = gate.run(async () => "on time");
    release();
    await first;
    await expect(late).rejects.toBeInstanceOf(WaitedTooLong);
    expect(ran).toBe(false);
    expect(await onTime).toBe("on time");
    expect(gate.waiting()).toBe(0);
  });

  it("gives reports half the pool, one on the embedded database", () => {
    const postgres = { kind: "postgres", url: "postgresql://db/ferry" } as const;
    expect(reportSlots(poolSizeOf({ database: postgres, dbPoolSize: undefined }))).toBe(5);
    expect(reportSlots(poolSizeOf({ database: postgres, dbPoolSize: 1 }))).toBe(1);
    expect(reportSlots(poolSizeOf({ database: postgres, dbPoolSize: 40 }))).toBe(20);
    expect(reportSlots(poolSizeOf({ database: { kind: "pglite", dataDir: "x" }, dbPoolSize: 10 }))).toBe(1);
  });
});
