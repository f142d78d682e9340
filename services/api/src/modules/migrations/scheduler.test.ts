// Unit tier: the scheduler's slot choice as a pure function (FIFO per host, limits, no overtaking).
import { describe, expect, it } from "vitest";
import { chooseStarts } from "./scheduler.ts";

const live = (m: {
  id: string;
  kind: "LIVE" | "LIVE_WITH_STORAGE" | "STORAGE";
  from: string;
  to?: string;
}) => ({
  id: m.id,
  kind: m.kind,
  sourceHostId: m.from,
  destinationHostId: m.to ?? null,
});
const ids = (ms: { id: string }[]) => ms.map((m) => m.id);

describe("chooseStarts", () => {
  const limitOf =
    (limits: Record<string, number> = {}) =>
    (hostId: string, slot: "vm" | "storage") =>
      limits[`${hostId}/${slot}`] ?? 1;

  it("starts in FIFO order up to each host's limit", () => {
    const queued = [
      live({ id: "a", kind: "LIVE", from: "h1", to: "h2" }),
      live({ id: "b", kind: "LIVE", from: "h1", to: "h2" }),
      live({ id: "c", kind: "LIVE", from: "h3", to: "h4" }),
    ];
    expect(ids(chooseStarts(queued, [], limitOf(), () => true))).toEqual(["a", "c"]);
    expect(ids(chooseStarts(queued, [], limitOf({ "h1/vm": 2, "h2/vm": 2 }), () => true))).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  it("counts moves that already hold slots, on the source and the destination", () => {
    const holding = [live({ id: "x", kind: "LIVE", from: "h9", to: "h2" })];
    const queued = [live({ id: "a", kind: "LIVE", from: "h1", to: "h2" })];
    expect(chooseStarts(queued, holding, limitOf(), () => true)).toEqual([]);
  });

  it("storage moves take the storage slot of their host only", () => {
    const holding = [live({ id: "x", kind: "LIVE", from: "h1", to: "h2" })];
    const queued = [live({ id: "s", kind: "STORAGE", from: "h1" })];
    expect(ids(chooseStarts(queued, holding, limitOf(), () => true))).toEqual(["s"]);
  });

  it("a move that must wait blocks its hosts for later moves (no overtaking)", () => {
    const queued = [
      live({ id: "a", kind: "LIVE", from: "h1", to: "h2" }),
      live({ id: "b", kind: "LIVE", from: "h3", to: "h2" }),
      live({ id: "c", kind: "LIVE", from: "h3", to: "h4" }),
    ];
    // b waits for h2; c shares h3 with b and must not overtake it.
    expect(ids(chooseStarts(queued, [], limitOf({ "h3/vm": 2 }), () => true))).toEqual(["a"]);
  });

  it("waits while the source agent is not live", () => {
    const queued = [live({ id: "a", kind: "LIVE", from: "h1", to: "h2" })];
    expect(chooseStarts(queued, [], limitOf(), (h) => h !== "h1")).toEqual([]);
  });

  it("waits while the destination agent of a live move is not live, without holding back its source's other moves", () => {
    // After an API restart the agents reconnect one by one: a move to a host whose agent is not back
    // yet waits in the queue (it used to start and fail AGENT_LOST at once).
    const queued = [
      live({ id: "to-away", kind: "LIVE", from: "h1", to: "h2" }),
      live({ id: "to-back", kind: "LIVE", from: "h1", to: "h3" }),
      live({ id: "storage", kind: "STORAGE", from: "h2" }),
    ];
    expect(ids(chooseStarts(queued, [], limitOf(), (h) => h !== "h2"))).toEqual(["to-back"]);
    // A storage move has only its host taking part.
    expect(ids(chooseStarts(queued, [], limitOf(), (h) => h !== "h3"))).toEqual(["to-away", "storage"]);
  });

  it("skips a move that is not yet due (notBefore) without blocking the moves behind it", () => {
    const now = Date.UTC(2026, 11, 2, 3, 0, 0);
    const queued = [
      { ...live({ id: "later", kind: "LIVE", from: "h1", to: "h2" }), notBefore: new Date(now + 60_000) },
      { ...live({ id: "due", kind: "LIVE", from: "h1", to: "h2" }), notBefore: new Date(now - 1) },
      live({ id: "plain", kind: "LIVE", from: "h3", to: "h4" }),
    ];
    expect(ids(chooseStarts(queued, [], limitOf(), () => true, now))).toEqual(["due", "plain"]);
    expect(ids(chooseStarts(queued, [], limitOf(), () => true, now + 60_000))).toEqual(["later", "plain"]);
  });
});
