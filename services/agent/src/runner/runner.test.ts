// The runner validates every command with the protocol's schemas before a handler sees it, runs each
// command id once, and keeps an answer the API refused as unacknowledged (it used to count as sent).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { HyperVBackend } from "../backends/types.ts";
import { RefusedError } from "../link/link.ts";
import { StateStore } from "../state/store.ts";
import type { Handlers } from "./handlers/index.ts";
import { createRunner, type ReceivedCommand } from "./runner.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function setup(answer: (entry: { commandId: string }) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-runner-"));
  dirs.push(dir);
  const store = new StateStore(dir);
  const compare = vi.fn(async () => ({ issues: [] }));
  const handlers = { COMPARE_VM: compare } as Partial<Handlers> as Handlers;
  const runner = createRunner({
    backend: {} as HyperVBackend,
    store,
    handlers,
    answer,
    log: () => {},
  });
  return { store, runner, compare };
}

const command = (over: Partial<ReceivedCommand>): ReceivedCommand => ({
  id: "c1",
  type: "COMPARE_VM",
  payload: { vmId: "vm-1", destinationHost: "HV-B01" },
  migrationId: null,
  requestId: null,
  createdAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  expects: null,
  ...over,
});

describe("runner", () => {
  it("answers a malformed payload FAILED naming the field, without running the handler", async () => {
    const answers: unknown[] = [];
    const { runner, compare, store } = setup(async (e) => void answers.push(e));
    await runner.handle(command({ payload: { vmId: "vm-1" } }));
    expect(compare).not.toHaveBeenCalled();
    expect(store.journal()[0]).toMatchObject({
      succeeded: false,
      errorCode: "INVALID_PARAMETER",
      errorMessage: expect.stringContaining("destinationHost"),
      acknowledged: true,
    });
    await runner.handle(command({ id: "c2", type: "FORMAT_DISK", payload: {} }));
    expect(store.journal()[1]).toMatchObject({
      succeeded: false,
      errorMessage: "unknown command type FORMAT_DISK",
    });
  });

  it("keeps a refused answer unacknowledged and answers it again on redelivery, running the command once", async () => {
    let refuse = true;
    const { runner, compare, store } = setup(async () => {
      if (refuse)
        throw new RefusedError("agentCommandResult", [{ __typename: "NotFoundError", message: "no" }]);
    });
    await runner.handle(command({}));
    expect(store.journal()[0]).toMatchObject({ commandId: "c1", succeeded: true, acknowledged: false });
    refuse = false;
    await runner.handle(command({}));
    expect(store.journal()[0]).toMatchObject({ commandId: "c1", acknowledged: true });
    expect(compare).toHaveBeenCalledTimes(1);
  });
});

describe("runner deadlines", () => {
  it("refuses a command past its deadline (COMMAND_EXPIRED) unless it resumes work already started", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-runner-"));
    dirs.push(dir);
    const store = new StateStore(dir);
    const compare = vi.fn(async () => ({ issues: [] }));
    let resumes = false;
    const runner = createRunner({
      backend: {} as HyperVBackend,
      store,
      handlers: { COMPARE_VM: compare } as Partial<Handlers> as Handlers,
      answer: async () => {},
      resumes: () => resumes,
      log: () => {},
    });
    const past = new Date(Date.now() - 1000).toISOString();
    await runner.handle({ ...command({}), expiresAt: past });
    expect(compare).not.toHaveBeenCalled();
    expect(store.journal()[0]).toMatchObject({ succeeded: false, errorCode: "COMMAND_EXPIRED" });
    resumes = true;
    await runner.handle({ ...command({ id: "c2" }), expiresAt: past });
    expect(compare).toHaveBeenCalledTimes(1);
    await runner.handle({ ...command({ id: "c3" }), expiresAt: new Date(Date.now() + 60_000).toISOString() });
    resumes = false;
    expect(compare).toHaveBeenCalledTimes(2);
  });
});
