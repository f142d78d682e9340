import { describe, expect, it } from "vitest";
import { GiB, ManualClock, testVm, testWorld, VM_IDS } from "../../../../../test/helpers/sim-world.ts";
import { type HostEvent, type HyperVBackend, HyperVError, type JobStatus } from "../types.ts";
import type { WorldDefinition } from "../world.ts";
import { SimWorld } from "./index.ts";

function setup(edit?: (def: WorldDefinition) => void) {
  const def = testWorld();
  edit?.(def);
  const clock = new ManualClock();
  const world = SimWorld.create(def, { clock });
  return { world, clock, hv1: world.backend("HV1"), hv2: world.backend("HV2"), hv3: world.backend("HV3") };
}

const live = (vmId: string, destinationHost = "HV2") => ({
  vmId,
  destinationHost,
  includeStorage: false,
  destinationStoragePath: null,
});

async function thrown(p: Promise<unknown>): Promise<HyperVError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HyperVError);
  return e as HyperVError;
}

/** Advances the clock in steps until the job ends; returns every status seen. */
async function runToEnd(
  b: HyperVBackend,
  clock: ManualClock,
  jobId: string,
  stepMs = 500,
): Promise<JobStatus[]> {
  const seen: JobStatus[] = [];
  for (let i = 0; i < 100_000; i++) {
    const s = await b.getJob(jobId);
    seen.push(s);
    if (s.state !== "RUNNING") return seen;
    clock.advance(stepMs);
  }
  throw new Error("job never ended");
}

const ids = (events: HostEvent[]) => events.map((e) => e.eventId);

describe("live migration", () => {
  it("moves a VM on shared storage: same vmId on the destination, progress monotonic, ≈70 s for 8 GiB on 1 GbE", async () => {
    const { hv1, hv2, clock } = setup();
    const start = clock.now();
    const job = await hv1.startMoveVm(live(VM_IDS.shared));
    expect(job).toMatchObject({
      kind: "LIVE",
      vmId: VM_IDS.shared,
      state: "RUNNING",
      percentComplete: 0,
      error: null,
    });
    const seen = await runToEnd(hv1, clock, job.jobId);
    const pct = seen.map((s) => s.percentComplete);
    for (let i = 1; i < pct.length; i++) expect(pct[i]!).toBeGreaterThanOrEqual(pct[i - 1]!);
    expect(seen.at(-1)).toMatchObject({ state: "COMPLETED", percentComplete: 100, error: null });
    expect(new Set(pct).size).toBeGreaterThan(20);
    const seconds = (clock.now() - start) / 1000;
    expect(seconds).toBeGreaterThan(60);
    expect(seconds).toBeLessThan(85);

    const src = await hv1.getInventory();
    const dst = await hv2.getInventory();
    expect(src.vms.some((v) => v.vmId === VM_IDS.shared)).toBe(false);
    const moved = dst.vms.find((v) => v.vmId === VM_IDS.shared)!;
    expect(moved).toMatchObject({ name: "vm-shared", state: "RUNNING", path: "\\\\fs01\\vms\\vm-shared" });
    expect(dst.host.memoryAvailableBytes).toBe(64n * GiB - 2n * GiB - 8n * GiB);
    expect(src.host.memoryAvailableBytes).toBe(64n * GiB - 2n * GiB - 3n * GiB);
    expect(ids(await hv1.readEvents(null, 10))).toEqual([20415]);
    expect(ids(await hv2.readEvents(null, 10))).toEqual([20415]);
  });

  it("reserves destination memory while a running VM migrates", async () => {
    const { hv1, hv2 } = setup();
    await hv1.startMoveVm(live(VM_IDS.shared));
    expect((await hv2.getInventory()).host.memoryAvailableBytes).toBe(64n * GiB - 2n * GiB - 8n * GiB);
  });

  it("COMPRESSION takes about half the time of TCPIP; SMB over RDMA 10 GbE is fastest", async () => {
    const duration = async (edit: (d: WorldDefinition) => void) => {
      const { hv1, clock } = setup(edit);
      const t0 = clock.now();
      const job = await hv1.startMoveVm(live(VM_IDS.shared));
      await runToEnd(hv1, clock, job.jobId, 100);
      return clock.now() - t0;
    };
    const tcp = await duration(() => {});
    const comp = await duration((d) => {
      d.hosts[0]!.settings.performanceOption = "COMPRESSION";
    });
    const smb = await duration((d) => {
      for (const h of d.hosts) {
        h.settings.performanceOption = "SMB";
        h.networkAdapters[0]!.linkSpeedBps = 10_000_000_000n;
        h.networkAdapters[0]!.rdmaCapable = true;
      }
    });
    expect(comp / tcp).toBeGreaterThan(0.4);
    expect(comp / tcp).toBeLessThan(0.6);
    expect(smb).toBeLessThan(comp / 4);
  });

  it("moves with storage: paths change and destination free space shrinks", async () => {
    const { hv1, hv2, clock, world } = setup();
    const job = await hv1.startMoveVm({
      vmId: VM_IDS.local,
      destinationHost: "HV2",
      includeStorage: true,
      destinationStoragePath: "D:\\VMs\\vm-local",
    });
    expect(job.kind).toBe("LIVE_WITH_STORAGE");
    expect((await runToEnd(hv1, clock, job.jobId)).at(-1)!.state).toBe("COMPLETED");
    const vm = (await hv2.getInventory()).vms.find((v) => v.vmId === VM_IDS.local)!;
    expect(vm.path).toBe("D:\\VMs\\vm-local");
    expect(vm.hardDrives[0]!.path).toBe("D:\\VMs\\vm-local\\vm-local.vhdx");
    const def = world.definition();
    expect(def.hosts[1]!.volumes[0]!.freeBytes).toBe(1024n * GiB - 40n * GiB);
    expect(def.hosts[0]!.volumes[0]!.freeBytes).toBe(1024n * GiB + 40n * GiB);
  });

  it("requires destinationStoragePath with includeStorage (INVALID_PARAMETER at start)", async () => {
    const { hv1 } = setup();
    const e = await thrown(
      hv1.startMoveVm({
        vmId: VM_IDS.local,
        destinationHost: "HV2",
        includeStorage: true,
        destinationStoragePath: null,
      }),
    );
    expect(e.code).toBe("INVALID_PARAMETER");
    expect((await hv1.readEvents(null, 10)).length).toBe(0);
  });

  it("VM_NOT_FOUND for a VM that is not on this host", async () => {
    const { hv2 } = setup();
    expect((await thrown(hv2.startMoveVm(live(VM_IDS.shared, "HV1")))).code).toBe("VM_NOT_FOUND");
  });

  it("refuses a second move of a VM that is already moving", async () => {
    const { hv1 } = setup();
    await hv1.startMoveVm(live(VM_IDS.shared));
    expect((await thrown(hv1.startMoveVm(live(VM_IDS.shared, "HV3")))).code).toBe("INVALID_VM_STATE");
  });
});

describe("failures thrown at start", () => {
  const cases: {
    name: string;
    code: string;
    edit: (d: WorldDefinition) => void;
    message: string;
    eventId: number;
    dest?: string;
    vm?: string;
  }[] = [
    {
      name: "destination migration disabled",
      code: "MIGRATION_DISABLED",
      edit: (d) => {
        d.hosts[1]!.settings.enabled = false;
      },
      message:
        "The virtual machine cannot be moved because virtual machine migration is not enabled on host 'HV2'.",
      eventId: 21502,
    },
    {
      name: "source migration disabled",
      code: "MIGRATION_DISABLED",
      edit: (d) => {
        d.hosts[0]!.settings.enabled = false;
      },
      message:
        "The virtual machine cannot be moved because virtual machine migration is not enabled on host 'HV1'.",
      eventId: 21502,
    },
    {
      name: "Kerberos without delegation",
      code: "AUTHENTICATION_FAILED",
      edit: (d) => {
        d.hosts[0]!.settings.authenticationType = "KERBEROS";
        d.delegations.HV1 = ["cifs/HV2", "cifs/HV2.corp.local"];
      },
      message:
        "Failed to establish a connection with host HV2: No credentials are available in the security package (0x8009030E).",
      eventId: 21502,
    },
    {
      name: "firewall rule disabled on the destination",
      code: "NETWORK_REFUSED",
      edit: (d) => {
        d.hosts[1]!.firewallRules[0]!.enabled = false;
      },
      message:
        "Failed to establish a connection with host HV2: No connection could be made because the target machine actively refused it. (0x8007274D).",
      eventId: 21502,
    },
    {
      name: "different CPU vendor without compatibility",
      code: "PROCESSOR_INCOMPATIBLE",
      edit: () => {},
      message:
        'Virtual machine "vm-shared" is using processor-specific features not supported on host "HV3".',
      eventId: 21502,
      dest: "HV3",
    },
  ];
  for (const c of cases) {
    it(`${c.code}: ${c.name}`, async () => {
      const { hv1 } = setup(c.edit);
      const e = await thrown(hv1.startMoveVm(live(c.vm ?? VM_IDS.shared, c.dest ?? "HV2")));
      expect(e.code).toBe(c.code);
      expect(e.message).toBe(c.message);
      expect(e.eventId).toBe(c.eventId);
      const events = await hv1.readEvents(null, 10);
      expect(ids(events)).toEqual([21502]);
      expect(events[0]!).toMatchObject({ level: "Error", vmName: "vm-shared" });
      expect(events[0]!.message).toContain(c.message);
      expect((await hv1.listJobs()).length).toBe(0);
    });
  }

  it("Kerberos with full delegation succeeds", async () => {
    const { hv1, clock } = setup((d) => {
      d.hosts[0]!.settings.authenticationType = "KERBEROS";
      d.delegations.HV1 = ["cifs/HV2", "Microsoft Virtual System Migration Service/HV2.corp.local"];
    });
    const job = await hv1.startMoveVm(live(VM_IDS.shared));
    expect((await runToEnd(hv1, clock, job.jobId, 5000)).at(-1)!.state).toBe("COMPLETED");
  });

  it("NETWORK_UNREACHABLE when the destination has no migration network holding its addresses (issue 10)", async () => {
    const { hv1, hv2 } = setup((d) => {
      d.hosts[1]!.settings.networks = [{ subnet: "10.9.9.0/24", priority: 1 }];
    });
    const e = await thrown(hv1.startMoveVm(live(VM_IDS.shared)));
    expect(e.code).toBe("NETWORK_UNREACHABLE");
    expect(e.message).toContain("host 'HV2' has no migration network");
    expect(ids(await hv1.readEvents(null, 10))).toEqual([21502]);
    expect((await hv2.getInventory()).vms.map((v) => v.vmId)).not.toContain(VM_IDS.shared);
  });

  it("a clustered VM is refused: it moves through its cluster (issue 10)", async () => {
    const { hv1 } = setup((d) => {
      d.hosts[0]!.vms[0]!.isClustered = true;
    });
    const e = await thrown(hv1.startMoveVm(live(VM_IDS.shared)));
    expect(e.code).toBe("INVALID_VM_STATE");
    expect(e.message).toContain("Move-ClusterVirtualMachineRole");
  });

  it("Kerberos delegation entries match case-insensitively, service class included (issue 10)", async () => {
    const { hv1, clock } = setup((d) => {
      d.hosts[0]!.settings.authenticationType = "KERBEROS";
      d.delegations.HV1 = ["CIFS/hv2", "microsoft virtual system migration service/HV2.CORP.LOCAL"];
    });
    const job = await hv1.startMoveVm(live(VM_IDS.shared));
    expect((await runToEnd(hv1, clock, job.jobId, 5000)).at(-1)!.state).toBe("COMPLETED");
  });

  it("an OFF VM moves across CPU vendors; a running one is refused even with processor compatibility (issue 10)", async () => {
    const { hv1, clock } = setup((d) => {
      d.hosts[0]!.vms[0]!.processorCompatibilityForMigration = true;
    });
    const a = await hv1.startMoveVm(live(VM_IDS.off, "HV3"));
    expect((await runToEnd(hv1, clock, a.jobId, 5000)).at(-1)!.state).toBe("COMPLETED");
    // Compatibility mode only hides newer features within one vendor (docs/hyperv.md "Processor").
    const e = await thrown(hv1.startMoveVm(live(VM_IDS.shared, "HV3")));
    expect(e.code).toBe("PROCESSOR_INCOMPATIBLE");
    expect(e.message).toBe(
      'Virtual machine "vm-shared" is using processor-specific features not supported on host "HV3".',
    );
  });

  it("MIGRATION_LIMIT_REACHED (21501) past MaximumVirtualMachineMigrations on the source", async () => {
    const { hv1, clock } = setup();
    const a = await hv1.startMoveVm(live(VM_IDS.shared));
    await hv1.startMoveVm(live(VM_IDS.small));
    const e = await thrown(hv1.startMoveVm(live(VM_IDS.off)));
    expect(e.code).toBe("MIGRATION_LIMIT_REACHED");
    expect(e.eventId).toBe(21501);
    expect(e.message).toContain(
      'because virtual machine migration limit "2" was reached, please wait for completion of an ongoing migration operation.',
    );
    expect(ids(await hv1.readEvents(null, 10))).toEqual([21502, 21501]);
    await runToEnd(hv1, clock, a.jobId, 5000);
    expect((await hv1.startMoveVm(live(VM_IDS.off))).state).toBe("RUNNING");
  });

  it("MIGRATION_LIMIT_REACHED on the destination's limit, logged there too", async () => {
    const { hv1, hv2 } = setup((d) => {
      d.hosts[1]!.settings.maximumVirtualMachineMigrations = 1;
    });
    await hv1.startMoveVm(live(VM_IDS.shared));
    const e = await thrown(hv1.startMoveVm(live(VM_IDS.small)));
    expect(e.code).toBe("MIGRATION_LIMIT_REACHED");
    expect(e.message).toContain('limit "1" was reached');
    expect(ids(await hv2.readEvents(null, 10))).toEqual([21502, 21501]);
  });
});

describe("failures during the job", () => {
  it("SWITCH_NOT_FOUND below 10 % with event 21125 on both hosts", async () => {
    const { hv1, hv2, clock } = setup((d) => {
      d.hosts[1]!.switches = [];
    });
    const job = await hv1.startMoveVm(live(VM_IDS.shared));
    expect(job.state).toBe("RUNNING");
    const end = (await runToEnd(hv1, clock, job.jobId, 100)).at(-1)!;
    expect(end.state).toBe("FAILED");
    expect(end.percentComplete).toBeGreaterThanOrEqual(1);
    expect(end.percentComplete).toBeLessThan(10);
    expect(end.error).toEqual({
      code: "SWITCH_NOT_FOUND",
      message: "Could not find Ethernet switch 'Production'.",
      eventId: 21125,
    });
    expect(ids(await hv1.readEvents(null, 10))).toEqual([21502, 21125]);
    expect(ids(await hv2.readEvents(null, 10))).toEqual([21502, 21125]);
    expect((await hv1.getInventory()).vms.some((v) => v.vmId === VM_IDS.shared)).toBe(true);
  });

  it("INSUFFICIENT_MEMORY below 10 %", async () => {
    const { hv1, clock } = setup((d) => {
      d.hosts[1]!.facts.memoryCapacityBytes = 8n * GiB;
    });
    const job = await hv1.startMoveVm(live(VM_IDS.shared));
    const end = (await runToEnd(hv1, clock, job.jobId, 100)).at(-1)!;
    expect(end).toMatchObject({ state: "FAILED", error: { code: "INSUFFICIENT_MEMORY", eventId: 21502 } });
    expect(end.error!.message).toBe(
      "Failed to create partition: Insufficient system resources exist to complete the requested service. (0x800705AA)",
    );
    expect(end.percentComplete).toBeLessThan(10);
  });

  it("PATH_NOT_FOUND at 90-100 % (20413) for local storage without -IncludeStorage", async () => {
    const { hv1, hv2, clock } = setup();
    const job = await hv1.startMoveVm(live(VM_IDS.local));
    const end = (await runToEnd(hv1, clock, job.jobId, 100)).at(-1)!;
    expect(end.state).toBe("FAILED");
    expect(end.percentComplete).toBeGreaterThanOrEqual(90);
    expect(end.error!.code).toBe("PATH_NOT_FOUND");
    expect(end.error!.eventId).toBe(20413);
    expect(end.error!.message).toContain("failed to register the configuration");
    expect(end.error!.message).toContain("The system cannot find the path");
    expect(ids(await hv2.readEvents(null, 10))).toEqual([21502, 20413]);
  });

  it("PATH_NOT_FOUND when the destination storage path is on no volume of the destination", async () => {
    const { hv1, clock } = setup();
    const job = await hv1.startMoveVm({
      vmId: VM_IDS.local,
      destinationHost: "HV2",
      includeStorage: true,
      destinationStoragePath: "E:\\VMs",
    });
    const end = (await runToEnd(hv1, clock, job.jobId, 200)).at(-1)!;
    expect(end.error!.code).toBe("PATH_NOT_FOUND");
    expect(end.percentComplete).toBeGreaterThanOrEqual(90);
  });

  it("PATH_NOT_FOUND when the destination volume lacks free space", async () => {
    const { hv1, clock } = setup((d) => {
      d.hosts[1]!.volumes[0]!.freeBytes = 10n * GiB;
    });
    const job = await hv1.startMoveVm({
      vmId: VM_IDS.local,
      destinationHost: "HV2",
      includeStorage: true,
      destinationStoragePath: "D:\\VMs\\vm-local",
    });
    const end = (await runToEnd(hv1, clock, job.jobId, 200)).at(-1)!;
    expect(end.error!.code).toBe("PATH_NOT_FOUND");
    expect(end.error!.message).toContain("There is not enough space on the disk");
  });
});

describe("cancel and jobs", () => {
  it("cancel makes a running job CANCELLED and leaves the VM on the source", async () => {
    const { hv1, clock } = setup();
    const job = await hv1.startMoveVm(live(VM_IDS.shared));
    clock.advance(30_000);
    const mid = await hv1.getJob(job.jobId);
    expect(mid.state).toBe("RUNNING");
    await hv1.cancelJob(job.jobId);
    const s = await hv1.getJob(job.jobId);
    expect(s.state).toBe("CANCELLED");
    expect(s.percentComplete).toBe(mid.percentComplete);
    expect(s.error!.code).toBe("CANCELLED");
    clock.advance(600_000);
    expect((await hv1.getJob(job.jobId)).state).toBe("CANCELLED");
    expect((await hv1.getInventory()).vms.some((v) => v.vmId === VM_IDS.shared)).toBe(true);
    expect(ids(await hv1.readEvents(null, 10))).toEqual([21502]);
  });

  it("cancel after completion leaves it COMPLETED", async () => {
    const { hv1, clock } = setup();
    const job = await hv1.startMoveVm(live(VM_IDS.small));
    clock.advance(3_600_000);
    await hv1.cancelJob(job.jobId);
    expect((await hv1.getJob(job.jobId)).state).toBe("COMPLETED");
  });

  it("listJobs keeps finished jobs; unknown job ids are JOB_NOT_FOUND", async () => {
    const { hv1, hv2, clock } = setup();
    const a = await hv1.startMoveVm(live(VM_IDS.small));
    clock.advance(3_600_000);
    const b = await hv1.startMoveVm(live(VM_IDS.shared));
    const jobs = await hv1.listJobs();
    expect(jobs.map((j) => [j.jobId, j.state])).toEqual([
      [a.jobId, "COMPLETED"],
      [b.jobId, "RUNNING"],
    ]);
    expect(await hv2.listJobs()).toEqual([]);
    expect((await thrown(hv1.getJob("nope"))).code).toBe("JOB_NOT_FOUND");
    expect((await thrown(hv1.cancelJob("nope"))).code).toBe("JOB_NOT_FOUND");
    expect((await thrown(hv2.getJob(a.jobId))).code).toBe("JOB_NOT_FOUND");
  });

  it("events: recordIds increase per host, oldest first, paged by afterRecordId", async () => {
    const { hv1, clock } = setup((d) => {
      d.hosts[1]!.settings.enabled = false;
    });
    for (let i = 0; i < 3; i++) await thrown(hv1.startMoveVm(live(VM_IDS.shared)));
    clock.advance(1000);
    const all = await hv1.readEvents(null, 100);
    expect(all.map((e) => e.recordId)).toEqual([1, 2, 3]);
    expect((await hv1.readEvents(1, 1)).map((e) => e.recordId)).toEqual([2]);
    expect(await hv1.readEvents(3, 10)).toEqual([]);
    expect(await hv1.readEvents(null, 0)).toEqual([]);
  });
});

describe("injected faults", () => {
  it("LONG_BLACKOUT succeeds with warning 20417", async () => {
    const { world, hv1, hv2, clock } = setup();
    world.injectFault("vm-small", "LONG_BLACKOUT");
    const job = await hv1.startMoveVm(live(VM_IDS.small));
    expect((await runToEnd(hv1, clock, job.jobId, 1000)).at(-1)!.state).toBe("COMPLETED");
    const events = await hv2.readEvents(null, 10);
    expect(ids(events)).toEqual([20415, 20417]);
    expect(events[1]!.level).toBe("Warning");
    expect(events[1]!.message).toMatch(
      /completed the live migration .* with an unexpectedly long blackout time of \d+\.\d seconds\./,
    );
  });

  it("fail at their typical points and are consumed by one move", async () => {
    const points: [string, "start" | number, number][] = [
      ["NETWORK_TIMEOUT", "start", 0],
      ["AUTHENTICATION_FAILED", "start", 0],
      ["SWITCH_NOT_FOUND", 1, 9],
      ["INSUFFICIENT_MEMORY", 1, 9],
      ["NETWORK_RESET", 30, 80],
      ["PATH_NOT_FOUND", 90, 99],
    ];
    for (const [code, lo, hi] of points) {
      const { world, hv1, clock } = setup();
      world.injectFault("vm-small", code as never);
      if (lo === "start") {
        expect((await thrown(hv1.startMoveVm(live(VM_IDS.small)))).code).toBe(code);
      } else {
        const job = await hv1.startMoveVm(live(VM_IDS.small));
        const end = (await runToEnd(hv1, clock, job.jobId, 50)).at(-1)!;
        expect(end.error!.code).toBe(code);
        expect(end.percentComplete).toBeGreaterThanOrEqual(lo);
        expect(end.percentComplete).toBeLessThanOrEqual(hi);
      }
      // consumed: the next move works
      const again = await hv1.startMoveVm(live(VM_IDS.small));
      expect((await runToEnd(hv1, clock, again.jobId, 1000)).at(-1)!.state).toBe("COMPLETED");
    }
  });
});

describe("storage moves", () => {
  it("moves per VHD with identical file names and updates the drive path", async () => {
    const { hv1, clock } = setup();
    const job = await hv1.startMoveStorage({
      vmId: VM_IDS.shared,
      destinationStoragePath: null,
      vhds: [
        {
          sourcePath: "\\\\fs01\\vms\\vm-shared\\Virtual Hard Disks\\vm-shared.vhdx",
          destinationPath: "D:\\Disks\\vm-shared.vhdx",
        },
      ],
    });
    expect(job.kind).toBe("STORAGE");
    const seen = await runToEnd(hv1, clock, job.jobId, 1000);
    expect(seen.at(-1)!.state).toBe("COMPLETED");
    // 40 GiB at ~400 MB/s ≈ 110 s
    expect(seen.length).toBeGreaterThan(90);
    const vm = (await hv1.getInventory()).vms.find((v) => v.vmId === VM_IDS.shared)!;
    expect(vm.hardDrives[0]!.path).toBe("D:\\Disks\\vm-shared.vhdx");
    expect(vm.path).toBe("\\\\fs01\\vms\\vm-shared");
    expect(ids(await hv1.readEvents(null, 10))).toEqual([20821]);
  });

  it("rejects a per-VHD move that renames the file, and a request with neither or both targets", async () => {
    const { hv1 } = setup();
    const e = await thrown(
      hv1.startMoveStorage({
        vmId: VM_IDS.shared,
        destinationStoragePath: null,
        vhds: [
          {
            sourcePath: "\\\\fs01\\vms\\vm-shared\\Virtual Hard Disks\\vm-shared.vhdx",
            destinationPath: "D:\\Disks\\other.vhdx",
          },
        ],
      }),
    );
    expect(e.code).toBe("INVALID_PARAMETER");
    const neither = await thrown(
      hv1.startMoveStorage({ vmId: VM_IDS.shared, destinationStoragePath: null, vhds: null }),
    );
    expect(neither.code).toBe("INVALID_PARAMETER");
  });

  it("moves the whole VM's storage and fails with PATH_NOT_FOUND on a missing volume", async () => {
    const { hv1, clock } = setup();
    const ok = await hv1.startMoveStorage({
      vmId: VM_IDS.local,
      destinationStoragePath: "\\\\fs01\\vms\\vm-local",
      vhds: null,
    });
    expect((await runToEnd(hv1, clock, ok.jobId, 1000)).at(-1)!.state).toBe("COMPLETED");
    const vm = (await hv1.getInventory()).vms.find((v) => v.vmId === VM_IDS.local)!;
    expect(vm.path).toBe("\\\\fs01\\vms\\vm-local");
    const bad = await hv1.startMoveStorage({
      vmId: VM_IDS.local,
      destinationStoragePath: "X:\\nowhere",
      vhds: null,
    });
    const end = (await runToEnd(hv1, clock, bad.jobId, 1000)).at(-1)!;
    expect(end.error!.code).toBe("PATH_NOT_FOUND");
    expect(end.error!.eventId).toBe(20413);
  });

  it("enforces MaximumStorageMigrations with 21501", async () => {
    const { hv1 } = setup((d) => {
      d.hosts[0]!.settings.maximumStorageMigrations = 1;
    });
    await hv1.startMoveStorage({ vmId: VM_IDS.shared, destinationStoragePath: "D:\\VMs\\a", vhds: null });
    const e = await thrown(
      hv1.startMoveStorage({ vmId: VM_IDS.small, destinationStoragePath: "D:\\VMs\\b", vhds: null }),
    );
    expect(e.code).toBe("MIGRATION_LIMIT_REACHED");
    expect(e.eventId).toBe(21501);
    expect(e.message).toContain('storage migration limit "1" was reached');
  });
});

describe("determinism", () => {
  it("same seed, same clock, same calls: same job ids and progress", async () => {
    const trace = async (seed: number) => {
      const { hv1, clock } = setup((d) => {
        d.seed = seed;
      });
      const job = await hv1.startMoveVm(live(VM_IDS.shared));
      const seen = await runToEnd(hv1, clock, job.jobId, 1000);
      return { id: job.jobId, pct: seen.map((s) => s.percentComplete) };
    };
    const a = await trace(7);
    const b = await trace(7);
    const c = await trace(8);
    expect(a).toEqual(b);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(c.id).not.toBe(a.id);
    expect(c.pct).not.toEqual(a.pct);
  });

  it("a hand-built VM moves like any other", async () => {
    const { hv1, hv2, clock } = setup((d) => {
      d.hosts[0]!.vms.push(testVm("extra", "55555555-5555-4555-8555-555555555555"));
    });
    const job = await hv1.startMoveVm(live("55555555-5555-4555-8555-555555555555", "hv2.CORP.local"));
    await runToEnd(hv1, clock, job.jobId, 1000);
    expect((await hv2.getInventory()).vms.map((v) => v.name)).toEqual(["extra"]);
  });
});
