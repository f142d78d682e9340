// Migration estimates from recorded progress and the VM's size.
import { describe, expect, it } from "vitest";
import { type EstimateInput, estimate } from "./estimates.ts";

const GiB = 1024n ** 3n;
const t0 = Date.UTC(2026, 11, 2, 2, 0, 0);
const at = (s: number) => new Date(t0 + s * 1000);
const base: EstimateInput = {
  state: "RUNNING",
  percentComplete: 0,
  startedAt: at(0),
  finishedAt: null,
  totalBytes: 8n * GiB,
  samples: [],
  now: t0,
};

describe("estimate", () => {
  it.each([
    {
      name: "running: rate from the samples, time left from the rest",
      m: {
        percentComplete: 50,
        samples: [
          { at: at(0), percentComplete: 0 },
          { at: at(10), percentComplete: 50 },
        ],
        now: t0 + 10_000,
      },
      want: { bytesTransferred: 4n * GiB, rateBytesPerSecond: 429_496_730n, secondsRemaining: 10 },
    },
    {
      name: "running: the rate follows the last minute, not the average since the start",
      m: {
        percentComplete: 60,
        samples: [
          { at: at(0), percentComplete: 0 },
          { at: at(100), percentComplete: 20 },
          { at: at(120), percentComplete: 60 },
        ],
        now: t0 + 120_000,
      },
      // 40 % of 8 GiB in 20 s; 40 % left at that rate: 20 s.
      want: { bytesTransferred: (8n * GiB * 60n) / 100n, secondsRemaining: 20 },
    },
    {
      name: "running with one sample: the average since the start",
      m: { percentComplete: 25, samples: [{ at: at(20), percentComplete: 25 }], now: t0 + 20_000 },
      want: { bytesTransferred: 2n * GiB, secondsRemaining: 60 },
    },
    {
      name: "running, no progress yet: nothing to estimate a rate from",
      m: { percentComplete: 0, startedAt: at(0), samples: [], now: t0 + 5_000 },
      want: { bytesTransferred: 0n, rateBytesPerSecond: null, secondsRemaining: null },
    },
    {
      name: "queued: nothing copied, no estimate",
      m: { state: "QUEUED" as const, startedAt: null },
      want: { bytesTransferred: 0n, rateBytesPerSecond: null, secondsRemaining: null },
    },
    {
      name: "succeeded: everything, the average rate, nothing left",
      m: { state: "SUCCEEDED" as const, percentComplete: 100, finishedAt: at(16) },
      want: { bytesTransferred: 8n * GiB, rateBytesPerSecond: GiB / 2n, secondsRemaining: 0 },
    },
    {
      name: "failed: what was copied, no time left",
      m: { state: "FAILED" as const, percentComplete: 40 },
      want: { bytesTransferred: (8n * GiB * 40n) / 100n, rateBytesPerSecond: null, secondsRemaining: null },
    },
  ])("$name", ({ m, want }) => {
    expect(estimate({ ...base, ...m })).toMatchObject(want);
  });
});
