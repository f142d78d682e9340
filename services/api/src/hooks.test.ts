import { describe, expect, it } from "vitest";
import { createHooks } from "./hooks.ts";

type Events = { changed: [id: string]; ping: [] };

describe("createHooks", () => {
  it("runs listeners in order, awaits each, and stops calling removed ones", async () => {
    const errors: unknown[] = [];
    const hooks = createHooks<Events>((e) => errors.push(e));
    const seen: string[] = [];
    hooks.on("changed", async (id) => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push(`a:${id}`);
    });
    const off = hooks.on("changed", (id) => void seen.push(`b:${id}`));
    await hooks.emit("changed", "1");
    off();
    await hooks.emit("changed", "2");
    expect(seen).toEqual(["a:1", "b:1", "a:2"]);
    expect(errors).toEqual([]);
  });

  it("reports a throwing listener and still runs the next one", async () => {
    const errors: unknown[] = [];
    const hooks = createHooks<Events>((e, name) => errors.push([name, (e as Error).message]));
    let ran = false;
    hooks.on("ping", () => {
      throw new Error("boom");
    });
    hooks.on("ping", () => {
      ran = true;
    });
    await hooks.emit("ping");
    expect(ran).toBe(true);
    expect(errors).toEqual([["ping", "boom"]]);
  });

  it("keeps two instances apart (nothing is process-global)", async () => {
    const a = createHooks<Events>(() => {});
    const b = createHooks<Events>(() => {});
    let calls = 0;
    a.on("ping", () => void calls++);
    await b.emit("ping");
    expect(calls).toBe(0);
  });
});
