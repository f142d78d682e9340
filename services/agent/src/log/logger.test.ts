// The agent's pino log: JSON lines with the fields the old hand-written log had (time, msg, extra
// fields) plus a level, in a rotating file under the state folder; important events become Windows
// Application log entries through eventcreate.exe (a recording stub here: exact arguments asserted).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { recordingRunner } from "../windows/commands.ts";
import { eventcreateWriter } from "./event-log.ts";
import { createAgentLogger, logDir } from "./logger.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-agent-log-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function lines(stateDir: string): Record<string, unknown>[] {
  return fs
    .readdirSync(logDir(stateDir))
    .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]))
    .flatMap((f) =>
      fs
        .readFileSync(path.join(logDir(stateDir), f), "utf8")
        .split("\n")
        .filter(Boolean),
    )
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(check: () => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("agent log", () => {
  it("writes JSON lines to <state>/logs with time, level, msg and the fields", async () => {
    const stateDir = path.join(dir, "plain");
    const logger = await createAgentLogger({ level: "info", stateDir, stdout: false });
    logger.log("enrolled", { hostName: "HV1", hostId: "h1" });
    logger.log("disconnected", { code: 1006 });
    logger.pino.debug("below the level");
    await logger.close();
    const written = lines(stateDir);
    expect(written).toHaveLength(2);
    expect(written[0]).toMatchObject({ level: "info", msg: "enrolled", hostName: "HV1", hostId: "h1" });
    expect(written[0]!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(written[1]).toMatchObject({ level: "warn", msg: "disconnected", code: 1006 });
  });

  it("rotates by size and keeps a bounded number of files", async () => {
    const stateDir = path.join(dir, "rotating");
    const logger = await createAgentLogger({
      level: "info",
      stateDir,
      stdout: false,
      fileSize: "2k",
      keepFiles: 2,
    });
    for (let i = 0; i < 200; i++) {
      logger.log("inventory report failed", { error: `attempt ${i} ${"x".repeat(40)}` });
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    await logger.close();
    const files = fs.readdirSync(logDir(stateDir));
    expect(
      files.every((f) => /^ferry-agent\.\d+\.log$/.test(f)),
      files.join(),
    ).toBe(true);
    // The current file and at most `keepFiles` older ones.
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3);
    expect(JSON.stringify(lines(stateDir).at(-1))).toContain("attempt 199");
  });

  it("sends important events to the Application log as eventcreate.exe calls, nothing else", async () => {
    const { runner, calls } = recordingRunner();
    const logger = await createAgentLogger({
      level: "info",
      stdout: false,
      eventLog: eventcreateWriter(runner, () => undefined),
      longDisconnectMs: 50,
    });
    logger.log("connected");
    logger.log("enrolled", { hostName: "HV1", hostId: 'h"1' });
    logger.log("command failed", { commandId: "c1", errorCode: "VM_NOT_FOUND", error: "line1\nline2" });
    logger.log("disconnected", { code: 1006 });
    await until(() => calls.length === 3, "the long disconnection event");
    logger.log("connected");
    logger.log("disconnected", { code: 1006 });
    logger.log("connected"); // back within the bound: no event
    await new Promise((r) => setTimeout(r, 150));
    await logger.close();
    const source = ["/L", "APPLICATION", "/SO", "Ferry Agent"];
    expect(calls).toEqual([
      {
        file: "eventcreate.exe",
        args: [...source, "/T", "INFORMATION", "/ID", "101", "/D", "enrolled: hostName=HV1, hostId=h'1"],
      },
      {
        file: "eventcreate.exe",
        args: [
          ...source,
          ...["/T", "ERROR", "/ID", "300"],
          ...["/D", "command failed: commandId=c1, errorCode=VM_NOT_FOUND, error=line1 line2"],
        ],
      },
      {
        file: "eventcreate.exe",
        args: [
          ...source,
          "/T",
          "WARNING",
          "/ID",
          "200",
          "/D",
          expect.stringMatching(/^disconnected for long: seconds=\d+$/),
        ],
      },
    ]);
  });

  it("a failing event log is reported once and never throws", async () => {
    const { runner, calls } = recordingRunner(() => ({ code: 1, stderr: "ERROR: Access is denied." }));
    const errors: string[] = [];
    const writer = eventcreateWriter(runner, (e) => errors.push(e));
    await writer.write({ type: "ERROR", id: 302, message: "fatal" });
    await writer.write({ type: "ERROR", id: 302, message: "fatal" });
    expect(calls).toHaveLength(2);
    expect(errors).toEqual(["ERROR: Access is denied."]);
  });
});
