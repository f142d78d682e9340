// The console's Move and Migrations pages in Debian's Chromium against a real API and simulated agents
// (two hosts, one move at a time): a move started from the Move page is followed live to 100 %, a queued
// move is cancelled from the Migrations page, a failed move shows Hyper-V's code, message, event id,
// diagnosis and remedy, and a VIEWER is shown no action. No console errors anywhere.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { type FleetIds, fleetIds, MIGRATION_GQL, MOVE_GQL, pairWorld } from "../migrations/world.ts";
import { launchBrowser, openConsole, screenshot, seriousViolations, signIn } from "./browser.ts";

let api: TestApi;
let fleet: TestFleet;
let browser: Browser;
let ids: FleetIds;

beforeAll(async () => {
  [api, browser] = await Promise.all([startTestApi(), launchBrowser()]);
  const world = pairWorld(0, 1, 10);
  const sizes: Record<string, bigint> = {
    "vm-watch": 2n,
    "vm-wait": 1n,
    "vm-broken": 1n,
    "vm-bulk-1": 1n,
    "vm-bulk-2": 1n,
  };
  world.hosts[0]!.vms = Object.entries(sizes).map(([name, gib], i) =>
    testVm(name, `dddddddd-0000-4000-8000-${String(i + 1).padStart(12, "0")}`, {
      memoryAssignedBytes: gib * GiB,
      memoryStartupBytes: gib * GiB,
    }),
  );
  // One VM already on HV2: a bulk move to HV2 refuses it (and only it).
  world.hosts[1]!.vms = [
    testVm("vm-there", "dddddddd-0000-4000-8000-000000000099", {
      memoryAssignedBytes: 1n * GiB,
      memoryStartupBytes: 1n * GiB,
    }),
  ];
  fleet = await startTestFleet(api, { definition: world });
  ids = await fleetIds(api.gqlOk);
});

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await api?.stop();
});

interface MigrationView {
  state: string;
  percentComplete: number;
  failure: {
    code: string;
    message: string;
    eventId: number | null;
    diagnosis: string;
    remedy: string;
  } | null;
}
const migration = async (id: string) =>
  (await api.gqlOk<{ node: MigrationView }>(MIGRATION_GQL, { id })).node;
const move = async (vm: string, extra: Record<string, unknown> = {}) => {
  const r = await api.gqlOk<{ moveVm: { migration: { id: string; state: string } } }>(MOVE_GQL, {
    input: { vm: ids.vms[vm], destinationHost: ids.hosts.HV2, ...extra },
  });
  return r.moveVm.migration;
};
const ended = (id: string) =>
  eventually(async () => {
    const m = await migration(id);
    return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(m.state) ? m : null;
  }, 120_000);
const go = async (page: Page, name: string) => {
  await page.getByRole("link", { name }).click();
  await page.getByRole("heading", { level: 1 }).waitFor();
};

describe("console: Move and Migrations", () => {
  it("Move page: every placement check with its remedy, start the move, its progress bar reaches 100 % live", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await go(page, "Move");
    await page.getByRole("searchbox", { name: "VM name contains" }).fill("watch");
    await page.getByRole("button", { name: "vm-watch" }).click();
    const option = page.locator('[data-option="HV2"]');
    await option.waitFor();
    // The page lists exactly the checks the API reports for HV2, with their status and remedy.
    const api2 = await api.gqlOk<{
      placementOptions: {
        host: { name: string };
        checks: { name: string; status: string; remedy: string | null }[];
      }[];
    }>(`query($vm: ID!) { placementOptions(vm: $vm) { host { name } checks { name status remedy } } }`, {
      vm: ids.vms["vm-watch"],
    });
    const checks = api2.placementOptions.find((o) => o.host.name === "HV2")!.checks;
    expect(checks.length).toBeGreaterThan(3);
    expect(await option.locator("tbody tr th").allTextContents()).toEqual(checks.map((c) => c.name));
    for (const c of checks.filter((c) => c.remedy)) {
      expect(await option.locator(`tr[data-check="${c.name}"] td`).nth(2).textContent()).toBe(c.remedy);
    }

    await option.getByRole("button", { name: "Move to HV2" }).click();
    const bar = page.getByRole("progressbar", { name: "Progress of vm-watch" });
    await bar.waitFor();
    // Sample the bar while the move runs: it must pass through values between 0 and 100 (live, no reload).
    const seen = new Set<number>();
    await eventually(
      async () => {
        seen.add(Number(await bar.getAttribute("aria-valuenow")));
        return seen.has(100);
      },
      120_000,
      "the progress bar to reach 100",
    );
    expect(
      [...seen].some((v) => v > 0 && v < 100),
      `values seen: ${[...seen]}`,
    ).toBe(true);
    await page.locator("[data-started]").getByText("SUCCEEDED").waitFor();
    const started = await page.locator("[data-started]").getAttribute("data-started");
    expect((await migration(started!)).state).toBe("SUCCEEDED");
    expect(problems).toEqual([]);
    await close();
  });

  it("Migrations page: a queued move is cancelled with its Cancel button; a VIEWER sees no Cancel and no Move", async () => {
    // Queued for an hour (notBefore): it stays QUEUED however slowly the machine runs this test.
    const queued = await move("vm-wait", { notBefore: new Date(Date.now() + 3_600_000).toISOString() });
    expect(queued.state).toBe("QUEUED");

    const viewerToken = (
      await api.gqlOk<{ createApiToken: { secret: string } }>(
        `mutation { createApiToken(input: { name: "console-viewer", role: VIEWER }) { secret } }`,
      )
    ).createApiToken.secret;
    const viewer = await openConsole(browser, api.url);
    await signIn(viewer.page, viewerToken);
    await go(viewer.page, "Migrations");
    await viewer.page.locator(`tr[data-vm="vm-wait"]`).getByText("QUEUED").waitFor();
    expect(await viewer.page.getByRole("button", { name: /^Cancel/ }).count()).toBe(0);
    await go(viewer.page, "Move");
    await viewer.page.getByRole("button", { name: "vm-broken" }).click();
    await viewer.page.locator('[data-option="HV2"] tbody tr').first().waitFor();
    expect(await viewer.page.getByRole("button", { name: /^Move / }).count()).toBe(0);
    expect(viewer.problems).toEqual([]);
    await viewer.close();

    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await go(page, "Migrations");
    const row = page.locator(`tr[data-migration="${queued.id}"]`);
    await row.getByText("QUEUED").waitFor();
    await row.getByRole("button", { name: "Cancel the move of vm-wait" }).click();
    // It leaves the queue (live, through migrationsChanged) and the API says CANCELLED.
    await page.locator(`table[aria-labelledby="queue-title"] tr[data-migration="${queued.id}"]`).waitFor({
      state: "detached",
    });
    expect((await migration(queued.id)).state).toBe("CANCELLED");
    await page
      .locator(`table[aria-labelledby="history-title"] tr[data-migration="${queued.id}"]`)
      .getByText("CANCELLED")
      .waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("a failed move shows Hyper-V's code, message, event id, diagnosis and remedy (history filtered to FAILED)", async () => {
    fleet.world.injectFault("vm-broken", "SWITCH_NOT_FOUND");
    const failed = await ended((await move("vm-broken")).id);
    expect(failed.state).toBe("FAILED");
    const f = failed.failure!;

    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await go(page, "Migrations");
    await page.getByRole("combobox", { name: "State" }).selectOption("FAILED");
    await page.getByText("1 ended moves").waitFor();
    // Keyboard: focus the diagnosis and open it with Enter.
    const summary = page.getByText("Diagnosis of vm-broken: SWITCH_NOT_FOUND");
    await summary.focus();
    await page.keyboard.press("Enter");
    const facts = page.locator(".failure dl");
    await facts.waitFor();
    expect(await facts.locator("dd").allTextContents()).toEqual([
      f.code,
      f.message,
      String(f.eventId),
      f.diagnosis,
      f.remedy,
    ]);
    expect(f.eventId).toBe(21125);
    expect(problems).toEqual([]);
    await close();
  });

  it("Move page: a bulk move (moveVms) of ticked VMs shows one result per VM: queued ones live to 100 %, a refused one with its reason", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await go(page, "Move");
    for (const name of ["vm-bulk-1", "vm-bulk-2", "vm-there"]) {
      await page.getByRole("checkbox", { name: `Select ${name} for a bulk move` }).check();
    }
    const bulk = page.locator("[data-bulk]");
    await bulk.getByRole("combobox", { name: "Destination" }).selectOption({ label: "HV2" });
    await bulk.getByRole("button", { name: "Move 3 selected VMs" }).click();
    await bulk.locator("tbody tr").nth(2).waitFor();
    expect(await bulk.locator("tbody th").allTextContents()).toEqual(["vm-bulk-1", "vm-bulk-2", "vm-there"]);
    // vm-there is on HV2 already: refused with the API's own reason, the others are queued and followed live.
    const refusal = await api.gqlOk<{ moveVm: { errors: { message: string }[] | null } }>(MOVE_GQL, {
      input: { vm: ids.vms["vm-there"], destinationHost: ids.hosts.HV2 },
    });
    const reason = refusal.moveVm.errors?.[0]?.message;
    expect(reason).toBeTruthy();
    expect(await bulk.locator('tr[data-result="vm-there"] td').first().textContent()).toBe(
      `Refused: ${reason}`,
    );
    for (const name of ["vm-bulk-1", "vm-bulk-2"]) {
      const row = bulk.locator(`tr[data-result="${name}"]`);
      await row.getByText("SUCCEEDED").waitFor({ timeout: 120_000 });
      expect(
        await row.getByRole("progressbar", { name: `Progress of ${name}` }).getAttribute("aria-valuenow"),
      ).toBe("100");
      const on = await api.gqlOk<{ vms: { edges: { node: { host: { name: string } } }[] } }>(
        `query($n: String!) { vms(first: 1, filter: { name: $n }) { edges { node { host { name } } } } }`,
        { n: name },
      );
      expect(on.vms.edges[0]!.node.host.name).toBe("HV2");
    }
    expect(problems).toEqual([]);
    await close();
  });

  it("the Migrations page with a failed move's diagnosis open passes axe-core (no serious or critical violation)", async () => {
    const { page, problems, close } = await openConsole(browser, api.url, undefined, { bypassCSP: true });
    await signIn(page, ADMIN_TOKEN);
    await go(page, "Migrations");
    await page.getByRole("combobox", { name: "State" }).selectOption("FAILED");
    await page.getByText("Diagnosis of vm-broken: SWITCH_NOT_FOUND").click();
    await page.locator(".failure dl").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, "migration-diagnosis");
    expect(problems).toEqual([]);
    await close();
  });
});
