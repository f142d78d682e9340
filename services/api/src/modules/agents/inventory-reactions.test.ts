// The inventory reactions' batching: hosts gathered into one batch, one batch at a time (a report
// stored while a batch runs joins the next one, never an overlapping one), the start-up catch-up, and
// nothing lost at shutdown.
import { describe, expect, it } from "vitest";
import type { App, AppEvents, IngestBatch } from "../../context.ts";
import { createHooks } from "../../hooks.ts";
import { createInflight } from "../../inflight.ts";
import { createInventoryReactions, queueInventoryReactions } from "./inventory-reactions.ts";

function fakeApp() {
  const app = {
    hooks: createHooks<AppEvents>((error) => {
      throw error;
    }),
    inflight: createInflight(),
  } as unknown as App;
  const batches: IngestBatch[] = [];
  let running = 0;
  let overlapped = false;
  let gate: Promise<void> = Promise.resolve();
  app.hooks.on("inventoryIngested", async (_a, batch) => {
    running++;
    overlapped ||= running > 1;
    batches.push(batch);
    await gate;
    running--;
  });
  return {
    app,
    batches,
    overlapped: () => overlapped,
    /** Holds every batch from now on until the returned function is called. */
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => open();
    },
  };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 2000 && !what(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(what()).toBe(true);
};

describe("inventory reactions", () => {
  it("gathers a burst into one batch; a host's significance is kept when it reports again", async () => {
    const f = fakeApp();
    const worker = createInventoryReactions(f.app, 20);
    for (let i = 0; i < 50; i++) queueInventoryReactions(f.app, `h${i}`, i % 2 === 0);
    queueInventoryReactions(f.app, "h0", false);
    await until(() => f.batches.length === 1);
    expect(f.batches[0]!.hostIds).toHaveLength(50);
    expect(f.batches[0]!.significant).toHaveLength(25);
    expect(f.batches[0]!.significant).toContain("h0");
    await worker.stop();
  });

  it("runs one batch at a time: reports during a batch wait for it and form the next", async () => {
    const f = fakeApp();
    const worker = createInventoryReactions(f.app, 5);
    const open = f.hold();
    queueInventoryReactions(f.app, "a", true);
    await until(() => f.batches.length === 1);
    queueInventoryReactions(f.app, "a", false);
    queueInventoryReactions(f.app, "b", false);
    await new Promise((r) => setTimeout(r, 50));
    expect(f.batches).toHaveLength(1);
    open();
    await until(() => f.batches.length === 2);
    expect(f.batches[1]).toEqual({ hostIds: ["a", "b"], significant: [] });
    expect(f.overlapped()).toBe(false);
    await worker.stop();
  });

  it("start() recomputes every host once (hostIds null)", async () => {
    const f = fakeApp();
    const worker = createInventoryReactions(f.app, 5);
    worker.start();
    await until(() => f.batches.length === 1);
    expect(f.batches[0]).toEqual({ hostIds: null, significant: [] });
    await worker.stop();
  });

  it("stop() runs what is queued; a report after stop reacts at once, tracked for shutdown", async () => {
    const f = fakeApp();
    const worker = createInventoryReactions(f.app, 3_600_000);
    queueInventoryReactions(f.app, "a", true);
    await worker.stop();
    expect(f.batches).toEqual([{ hostIds: ["a"], significant: ["a"] }]);
    queueInventoryReactions(f.app, "b", false);
    expect(await f.app.inflight.drain(10_000)).toBe(0);
    expect(f.batches[1]).toEqual({ hostIds: ["b"], significant: [] });
  });

  it("an App without the worker reacts at once", async () => {
    const f = fakeApp();
    queueInventoryReactions(f.app, "a", true);
    expect(await f.app.inflight.drain(10_000)).toBe(0);
    expect(f.batches).toEqual([{ hostIds: ["a"], significant: ["a"] }]);
  });
});
