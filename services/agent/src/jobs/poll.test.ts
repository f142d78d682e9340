import { describe, expect, it } from "vitest";
import { MIN_POLL_MS, nextPollMs } from "./poll.ts";

describe("nextPollMs", () => {
  it("keeps the interval while the job has far to go or shows no progress", () => {
    expect(nextPollMs({ at: 0, percent: 0 }, { at: 1000, percent: 10 }, 500)).toBe(500);
    expect(nextPollMs({ at: 0, percent: 40 }, { at: 1000, percent: 40 }, 500)).toBe(500);
    expect(nextPollMs({ at: 0, percent: 0 }, { at: 0, percent: 0 }, 500)).toBe(500);
    expect(nextPollMs({ at: 0, percent: 0 }, { at: 1000, percent: 100 }, 500)).toBe(500);
  });

  it("samples when the job's rate says it ends, when that is sooner", () => {
    // 10 % per second, at 97 %: done in 300 ms.
    expect(nextPollMs({ at: 0, percent: 0 }, { at: 9700, percent: 97 }, 500)).toBe(300);
    // Never more often than MIN_POLL_MS.
    expect(nextPollMs({ at: 0, percent: 0 }, { at: 9990, percent: 99 }, 500)).toBe(101);
    expect(nextPollMs({ at: 0, percent: 0 }, { at: 1000, percent: 99 }, 500)).toBe(MIN_POLL_MS);
  });
});
