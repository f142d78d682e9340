// The journal is durable: a write counts as done only after the data and the folder entry are on disk.
import nodeFs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore, type StoreFs } from "./store.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) nodeFs.rmSync(d, { recursive: true, force: true });
});

/** The real fs, with every call logged (fd -> path kept so the log names files). */
function recordingFs() {
  const calls: string[] = [];
  const paths = new Map<number, string>();
  const fs: StoreFs = {
    mkdirSync: nodeFs.mkdirSync,
    readFileSync: nodeFs.readFileSync,
    openSync: ((p: string, flags: string, mode?: number) => {
      const fd = nodeFs.openSync(p, flags, mode);
      paths.set(fd, path.basename(p));
      calls.push(`open ${path.basename(p)}`);
      return fd;
    }) as StoreFs["openSync"],
    writeSync: ((fd: number, data: string) => {
      calls.push(`write ${paths.get(fd)}`);
      return nodeFs.writeSync(fd, data);
    }) as StoreFs["writeSync"],
    fsyncSync: (fd) => {
      calls.push(`fsync ${paths.get(fd)}`);
      nodeFs.fsyncSync(fd);
    },
    closeSync: (fd) => {
      calls.push(`close ${paths.get(fd)}`);
      nodeFs.closeSync(fd);
    },
    renameSync: (from, to) => {
      calls.push(`rename ${path.basename(String(from))} -> ${path.basename(String(to))}`);
      nodeFs.renameSync(from, to);
    },
    unlinkSync: nodeFs.unlinkSync,
  };
  return { fs, calls };
}

describe("StateStore", () => {
  it("fsyncs the file before the rename and the folder after it, for every journal write", () => {
    const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), "ferry-store-"));
    dirs.push(dir);
    const { fs, calls } = recordingFs();
    const store = new StateStore(dir, fs);
    store.record({
      commandId: "c1",
      succeeded: true,
      result: null,
      errorCode: null,
      errorMessage: null,
      acknowledged: false,
      at: new Date(0).toISOString(),
    });
    const temp = `journal.json.${process.pid}.tmp`;
    expect(calls).toEqual([
      `open ${temp}`,
      `write ${temp}`,
      `fsync ${temp}`,
      `close ${temp}`,
      `rename ${temp} -> journal.json`,
      `open ${path.basename(dir)}`,
      `fsync ${path.basename(dir)}`,
      `close ${path.basename(dir)}`,
    ]);
    expect(new StateStore(dir).journal().map((e) => e.commandId)).toEqual(["c1"]);
  });

  it("a failed fsync is a failed write: it throws and the previous file stays", () => {
    const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), "ferry-store-"));
    dirs.push(dir);
    new StateStore(dir).set("jobs", { a: 1 });
    const { fs } = recordingFs();
    const failing: StoreFs = {
      ...fs,
      fsyncSync: () => {
        throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
      },
    };
    const store = new StateStore(dir, failing);
    expect(() => store.set("jobs", { a: 2 })).toThrow(/EIO/);
    expect(new StateStore(dir).get("jobs")).toEqual({ a: 1 });
    expect(nodeFs.readdirSync(dir)).toEqual(["jobs.json"]);
  });
});
