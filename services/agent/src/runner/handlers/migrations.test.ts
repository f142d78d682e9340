// START_MOVE against a fake Hyper-V: the claim fences Move-VM, and a move the agent started before a
// crash is adopted (followed or reported as finished), never started again.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CommandPayload } from "@ferry/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HyperVBackend, Inventory, JobStatus } from "../../backends/types.ts";
import { createJobTracker, type JobReport } from "../../jobs/tracker.ts";
import { StateStore } from "../../state/store.ts";
import { CommandRefusedError } from "../errors.ts";
import { migrationHandlers } from "./migrations.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const VM = "0a7c3c52-3b76-4c4f-9d7e-2e0a2b5f0c11";
const payload: CommandPayload<"START_MOVE"> = {
  migrationId: "6f1c1d0e-7f59-4a5a-9a39-0b3e6c9a3b01",
  kind: "LIVE",
  vmId: VM,
  destinationHost: "HV2",
  includeStorage: false,
  destinationStoragePath: null,
  vhds: [],
};

function setup(world: { vmHere: boolean; jobs: JobStatus[]; claimed?: boolean }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-start-"));
  dirs.push(dir);
  const store = new StateStore(dir);
  const startMoveVm = vi.fn(async () => ({
    jobId: "job-new",
    kind: "LIVE" as const,
    vmId: VM,
    state: "RUNNING" as const,
    percentComplete: 0,
    error: null,
  }));
  const backend = {
    kind: "simulator",
    getInventory: async () => ({ vms: world.vmHere ? [{ vmId: VM }] : [] }) as unknown as Inventory,
    listJobs: async () => world.jobs,
    getJob: async (id: string) => world.jobs.find((j) => j.jobId === id) ?? world.jobs[0]!,
    startMoveVm,
  } as unknown as HyperVBackend;
  const reports: JobReport[] = [];
  const jobs = createJobTracker({
    backend,
    store,
    log: () => {},
    report: async (r) => void reports.push(r),
    onEnded: () => {},
    pollMs: 10,
  });
  const claimMove = vi.fn(async () => ({
    claimed: world.claimed ?? true,
    state: world.claimed === false ? "CANCELLED" : "RUNNING",
  }));
  const handlers = migrationHandlers({
    backend,
    store,
    jobs,
    log: () => {},
    reportInventory: async () => {},
    claimMove,
  });
  return { handlers, jobs, reports, startMoveVm, claimMove, store };
}

describe("START_MOVE", () => {
  it("does not call Move-VM when the claim is refused (the migration ended meanwhile)", async () => {
    const t = setup({ vmHere: true, jobs: [], claimed: false });
    await expect(t.handlers.START_MOVE(payload)).rejects.toBeInstanceOf(CommandRefusedError);
    await expect(t.handlers.START_MOVE(payload)).rejects.toMatchObject({ code: "COMMAND_FENCED" });
    expect(t.startMoveVm).not.toHaveBeenCalled();
    expect(t.jobs.get(payload.migrationId)).toBeUndefined();
  });

  it("claims, then starts the move and follows its job", async () => {
    const t = setup({ vmHere: true, jobs: [] });
    expect(await t.handlers.START_MOVE(payload)).toEqual({ jobId: "job-new", adopted: false });
    expect(t.claimMove).toHaveBeenCalledWith(payload.migrationId);
    expect(t.startMoveVm).toHaveBeenCalledTimes(1);
    t.jobs.stop();
  });

  it("after a crash before the job id was written, with the move finished and forgotten by Hyper-V: reports COMPLETED, no second Move-VM", async () => {
    const t = setup({ vmHere: false, jobs: [] });
    t.jobs.begin(payload.migrationId, VM); // written ahead by the run that crashed
    expect(await t.handlers.START_MOVE(payload)).toEqual({ jobId: null, adopted: true });
    await vi.waitFor(() =>
      expect(t.reports.at(-1)).toMatchObject({ state: "COMPLETED", percentComplete: 100 }),
    );
    expect(t.startMoveVm).not.toHaveBeenCalled();
    expect(t.claimMove).not.toHaveBeenCalled();
  });

  it("after such a crash, with Hyper-V still listing the finished job: follows that job", async () => {
    const done: JobStatus = {
      jobId: "job-old",
      kind: "LIVE",
      vmId: VM,
      state: "COMPLETED",
      percentComplete: 100,
      error: null,
    };
    const t = setup({ vmHere: false, jobs: [done] });
    t.jobs.begin(payload.migrationId, VM);
    expect(await t.handlers.START_MOVE(payload)).toEqual({ jobId: "job-old", adopted: true });
    await vi.waitFor(() => expect(t.reports.at(-1)).toMatchObject({ jobId: "job-old", state: "COMPLETED" }));
    expect(t.startMoveVm).not.toHaveBeenCalled();
  });

  it("after a crash before Move-VM was called (VM still here, no job): starts it", async () => {
    const t = setup({ vmHere: true, jobs: [] });
    t.jobs.begin(payload.migrationId, VM);
    expect(await t.handlers.START_MOVE(payload)).toEqual({ jobId: "job-new", adopted: false });
    expect(t.startMoveVm).toHaveBeenCalledTimes(1);
    t.jobs.stop();
  });
});
