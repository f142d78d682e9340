import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, testWorld, VM_IDS } from "../../../../../test/helpers/sim-world.ts";
import type { HyperVError } from "../types.ts";
import { SimWorld } from "./index.ts";

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "ferry-sim-"));
  dirs.push(dir);
  return join(dir, "world.json");
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const live = (vmId: string) => ({
  vmId,
  destinationHost: "HV2",
  includeStorage: false,
  destinationStoragePath: null,
});

describe("file-backed world", () => {
  it("creates the file from the definition and reloads it without one", async () => {
    const path = tempFile();
    SimWorld.openFile(path, testWorld());
    expect(readFileSync(path, "utf8")).toContain("ferry-simulator/1");
    const again = SimWorld.openFile(path);
    expect(again.hostNames()).toEqual(["HV1", "HV2", "HV3"]);
    expect(() => SimWorld.openFile(tempFile())).toThrow(/does not exist/);
  });

  it("two instances on one file share state: a job started in one completes when observed by the other", async () => {
    const path = tempFile();
    const clock = new ManualClock();
    const a = SimWorld.openFile(path, testWorld(), { clock });
    const b = SimWorld.openFile(path, testWorld(), { clock }); // def ignored: file exists
    await a.backend("HV1").setHostSettings({ maximumVirtualMachineMigrations: 3 });
    expect((await b.backend("HV1").getInventory()).settings.maximumVirtualMachineMigrations).toBe(3);

    const job = await a.backend("HV1").startMoveVm(live(VM_IDS.shared));
    clock.advance(10_000);
    const mid = await b.backend("HV1").getJob(job.jobId);
    expect(mid.state).toBe("RUNNING");
    expect(mid.percentComplete).toBeGreaterThan(0);

    // "agent restart": a brand-new instance after the move's duration, nothing polled meanwhile
    clock.advance(120_000);
    const c = SimWorld.openFile(path, undefined, { clock });
    expect((await c.backend("HV2").getInventory()).vms.map((v) => v.vmId)).toEqual([VM_IDS.shared]);
    const jobs = await c.backend("HV1").listJobs();
    expect(jobs).toEqual([
      expect.objectContaining({ jobId: job.jobId, state: "COMPLETED", percentComplete: 100 }),
    ]);
    expect((await a.backend("HV1").getJob(job.jobId)).state).toBe("COMPLETED");
    const events = await b.backend("HV2").readEvents(null, 10);
    expect(events.map((e) => e.eventId)).toEqual([20415]);
    // event time is the completion time, not the observation time
    expect(Date.parse(events[0]!.timeCreated)).toBeLessThan(clock.now());
  });

  it("injectFault is stored in the file", async () => {
    const path = tempFile();
    const clock = new ManualClock();
    const a = SimWorld.openFile(path, testWorld(), { clock });
    a.injectFault("vm-small", "MIGRATION_DISABLED");
    const b = SimWorld.openFile(path, undefined, { clock });
    const e = await b
      .backend("HV1")
      .startMoveVm(live(VM_IDS.small))
      .catch((err: unknown) => err);
    expect((e as HyperVError).code).toBe("MIGRATION_DISABLED");
    // failure events persist even though the call threw
    expect((await a.backend("HV1").readEvents(null, 10)).map((x) => x.eventId)).toEqual([21502]);
  });

  it("cancel from another instance wins over a later completion", async () => {
    const path = tempFile();
    const clock = new ManualClock();
    const a = SimWorld.openFile(path, testWorld(), { clock });
    const job = await a.backend("HV1").startMoveVm(live(VM_IDS.shared));
    clock.advance(5_000);
    await SimWorld.openFile(path, undefined, { clock }).backend("HV1").cancelJob(job.jobId);
    clock.advance(600_000);
    expect((await a.backend("HV1").getJob(job.jobId)).state).toBe("CANCELLED");
    expect((await a.backend("HV1").getInventory()).vms.some((v) => v.vmId === VM_IDS.shared)).toBe(true);
  });

  it("recovers from a stale lock left by a crashed process", async () => {
    const path = tempFile();
    const world = SimWorld.openFile(path, testWorld());
    mkdirSync(`${path}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    expect((await world.backend("HV1").getInventory()).vms.length).toBe(4);
  });

  it("keeps bigints and hostile strings through the file", async () => {
    const path = tempFile();
    const def = testWorld();
    def.hosts[0]!.vms[0]!.name = "a'\"$(x)`y`\n\u0000ü";
    const world = SimWorld.openFile(path, def);
    const reread = SimWorld.openFile(path).definition();
    expect(reread.hosts[0]!.vms[0]!.name).toBe("a'\"$(x)`y`\n\u0000ü");
    expect(reread.hosts[0]!.facts.memoryCapacityBytes).toBe(def.hosts[0]!.facts.memoryCapacityBytes);
    expect(world.definition().sharedVolumes).toEqual(def.sharedVolumes);
  });
});

describe("file-backed world across processes", () => {
  it("serializes concurrent writers from several processes (no lost updates)", async () => {
    const { spawn } = await import("node:child_process");
    const { fileURLToPath } = await import("node:url");
    const path = tempFile();
    SimWorld.openFile(path, testWorld());
    const indexUrl = new URL("./index.ts", import.meta.url).href;
    const worker = (n: number) => `
      const { SimWorld } = await import(${JSON.stringify(indexUrl)});
      const b = SimWorld.openFile(${JSON.stringify(path)}).backend("HV1");
      for (let i = 0; i < 15; i++) await b.addMigrationNetwork({ subnet: "10.${n}." + i + ".0/24", priority: i });
    `;
    const run = (n: number) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", worker(n)], {
          cwd: fileURLToPath(new URL(".", import.meta.url)),
          stdio: "inherit",
        });
        child.on("exit", (code) => resolve(code ?? -1));
      });
    expect(await Promise.all([run(100), run(101), run(102)])).toEqual([0, 0, 0]);
    const networks = (await SimWorld.openFile(path).backend("HV1").getInventory()).settings.networks;
    expect(networks.length).toBe(1 + 45);
  });
});
