// The console in a real browser (Debian's Chromium) against a real API and simulated agents: the /ui route
// serves it without a token, sign-in keeps the token for the tab only, the Fleet shows every host and follows
// hostChanged live, a VIEWER signs in too, everything is reachable from the keyboard, no console errors.
import fs from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, eventually, startTestApi, type TestApi } from "../helpers/api.ts";
import { startTestFleet, type TestFleet } from "../helpers/fleet.ts";
import { GiB, testVm } from "../helpers/sim-world.ts";
import { type FleetIds, fleetIds, MOVE_GQL, PREFLIGHT_GQL, pairWorld } from "../migrations/world.ts";
import { launchBrowser, openConsole, overflowing, screenshot, seriousViolations, signIn } from "./browser.ts";

let api: TestApi;
let fleet: TestFleet;
let browser: Browser;
let ids: FleetIds;

beforeAll(async () => {
  [api, browser] = await Promise.all([startTestApi(), launchBrowser()]);
  // Two hosts, HV1 with two VMs, HV2 with eleven small ones (more than one page of the Host page's VM
  // list); moves at time x20 take a few seconds.
  const world = pairWorld(2, 1, 20);
  world.hosts[1]!.vms = Array.from({ length: 11 }, (_, i) =>
    testVm(
      `web-${String(i + 1).padStart(2, "0")}`,
      `bbbbbbbb-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
      {
        memoryAssignedBytes: GiB / 2n,
        memoryStartupBytes: GiB / 2n,
      },
    ),
  );
  fleet = await startTestFleet(api, { definition: world });
  ids = await fleetIds(api.gqlOk);
});

afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await api?.stop();
});

describe("console: the /ui route", () => {
  it("serves index.html without a token, hashed assets cached for good, app routes fall back to index.html", async () => {
    const index = await fetch(`${api.url}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-security-policy")).toContain("default-src 'self'");
    const html = await index.text();
    const script = html.match(/src="(\/ui\/assets\/[^"]+\.js)"/)?.[1];
    expect(script, html).toBeTruthy();
    const asset = await fetch(`${api.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");

    const route = await fetch(`${api.url}/ui/migrations`);
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(html);
    expect((await fetch(`${api.url}/ui/assets/missing.js`)).status).toBe(404);
    expect((await fetch(`${api.url}/ui/..%2f..%2f..%2fpackage.json`)).status).toBe(404);
    const bare = await fetch(`${api.url}/ui`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("location")).toBe("/ui/");
    expect((await fetch(`${api.url}/ui/`, { method: "POST" })).status).toBe(405);
  });
});

describe("console: sign-in and Fleet", () => {
  it("refuses a wrong token; an ADMIN sees every host with agent, CPU vendor, memory bar and readiness", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await page.getByLabel("API token").fill("not-a-valid-token-at-all");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("refused");

    await signIn(page, ADMIN_TOKEN);
    expect(await page.evaluate(() => sessionStorage.getItem("ferry.token"))).toBe(ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.getByRole("heading", { name: "Fleet" }).waitFor();
    await page.getByText("2 hosts, 2 agents connected").waitFor();
    for (const name of fleet.hostNames) {
      const row = page.locator(`tr[data-host="${name}"]`);
      expect(await row.locator("td").nth(0).textContent()).toBe("connected");
      expect(await row.locator("td").nth(1).textContent()).toMatch(/^(INTEL|AMD)/);
      const bar = row.getByRole("progressbar", { name: `Memory used on ${name}` });
      expect(Number(await bar.getAttribute("aria-valuenow"))).toBeGreaterThan(0);
      expect(await bar.getAttribute("aria-valuetext")).toMatch(/used, .* free of .*GiB/);
      const readiness = await api.gqlOk<{ host: { readiness: { name: string; status: string }[] } }>(
        `query($name: String!) { host(name: $name) { readiness { name status } } }`,
        { name },
      );
      const failing = readiness.host.readiness.filter((c) => c.status !== "PASS").map((c) => c.name);
      const badges = await row.locator("td").nth(3).locator("summary .badge").allTextContents();
      if (failing.length === 0) expect(await row.locator("td").nth(3).textContent()).toBe("ready");
      else expect(badges).toEqual(failing);
    }
    expect(await page.locator(".who").textContent()).toContain("(ADMIN)");
    // A reload keeps the session (sessionStorage); sign-out forgets it.
    await page.reload();
    await page.getByText("2 hosts, 2 agents connected").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API token").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("ferry.token"))).toBeNull();
    // The refused token's 401 is the only error the browser logged.
    expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
    await close();
  });

  it("follows hostChanged: a move made elsewhere changes both hosts' VM counts without a reload", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    const vmsOn = (host: string) => page.locator(`tr[data-host="${host}"] td`).nth(4);
    await expect.poll(() => vmsOn("HV1").textContent()).toBe("2");
    expect(await vmsOn("HV2").textContent()).toBe("11");
    // The subscription is open once graphql-ws has acknowledged (the socket opens lazily on subscribe).
    await expect.poll(() => page.evaluate(() => document.body.dataset.live)).toBe("connected");
    const r = await api.gqlOk<{ moveVm: { migration: { id: string } } }>(MOVE_GQL, {
      input: { vm: ids.vms["vm-1"], destinationHost: ids.hosts.HV2 },
    });
    expect(r.moveVm.migration.id).toBeTruthy();
    await expect.poll(() => vmsOn("HV2").textContent(), { timeout: 60_000 }).toBe("12");
    expect(await vmsOn("HV1").textContent()).toBe("1");
    expect(problems).toEqual([]);
    await close();
  });

  it("Host page: readiness with remedies, VMs searched and paged, Hyper-V events; ADMIN changes migration, networks and settings", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("link", { name: "HV2", exact: true }).click();
    await page.getByRole("heading", { name: "Host HV2" }).waitFor();
    const hv2 = await api.gqlOk<{
      host: {
        readiness: { name: string; status: string; remedy: string | null }[];
        vms: { totalCount: number };
      };
    }>(`{ host(name: "HV2") { readiness { name status remedy } vms(first: 1) { totalCount } } }`);
    // Every readiness check, its status and remedy, as the API reports them.
    const readiness = page.locator("table.readiness tbody tr");
    await readiness.first().waitFor();
    expect(await readiness.locator("th").allTextContents()).toEqual(hv2.host.readiness.map((c) => c.name));
    for (const c of hv2.host.readiness) {
      const cells = page.locator(`table.readiness tr[data-check="${c.name}"] td`);
      expect(await cells.nth(0).textContent()).toBe(c.status);
      expect(await cells.nth(2).textContent()).toBe(c.remedy ?? "");
    }
    // VMs: pages of 10 through the API's first/after; the search narrows them (server side).
    const total = hv2.host.vms.totalCount;
    expect(total).toBeGreaterThan(10);
    const vmRows = page.locator('table[aria-labelledby="vms-title"] tbody tr');
    await page.getByText(`${total} VMs, page 1`).waitFor();
    expect(await vmRows.count()).toBe(10);
    await page
      .getByRole("navigation", { name: "VM pages" })
      .getByRole("button", { name: "Next page" })
      .click();
    await page.getByText(`${total} VMs, page 2`).waitFor();
    await expect.poll(() => vmRows.count()).toBe(total - 10);
    await page.getByRole("searchbox", { name: "VM name contains" }).fill("web-1");
    await page.getByText("2 VMs matching “web-1”, page 1").waitFor();
    await expect.poll(() => vmRows.locator("th").allTextContents()).toEqual(["web-10", "web-11"]);
    // The move of vm-1 (previous test) was logged by Hyper-V on HV2 as event 20415.
    await page.locator('tr[data-event="20415"]').first().waitFor({ timeout: 60_000 });

    // ADMIN: disable live migration; the page follows the operation and the host (live).
    const settings = page.locator("dl[data-settings]");
    await settings.getByText("enabled").waitFor();
    await page.getByRole("button", { name: "Disable live migration" }).click();
    await settings.getByText("disabled").waitFor({ timeout: 60_000 });
    await page.locator('li[data-operation="DISABLE_MIGRATION"]').getByText("SUCCEEDED").waitFor();
    const enabled = async () =>
      (
        await api.gqlOk<{
          host: {
            migrationSettings: {
              enabled: boolean;
              maximumStorageMigrations: number;
              networks: { subnet: string }[];
            };
          };
        }>(
          `{ host(name: "HV2") { migrationSettings { enabled maximumStorageMigrations networks { subnet } } } }`,
        )
      ).host.migrationSettings;
    expect((await enabled()).enabled).toBe(false);
    await page.getByRole("button", { name: "Enable live migration" }).click();
    await settings.getByText("enabled").waitFor({ timeout: 60_000 });
    expect((await enabled()).enabled).toBe(true);
    // A network is added, then removed; a bad subnet is refused with the API's message.
    await page.getByLabel("Subnet (CIDR)").fill("not-a-subnet");
    await page.getByRole("button", { name: "Add network" }).click();
    await page.getByRole("alert").filter({ hasText: "Adding the network refused" }).waitFor();
    await page.getByLabel("Subnet (CIDR)").fill("10.0.9.0/24");
    await page.getByLabel("Priority").fill("5");
    await page.getByRole("button", { name: "Add network" }).click();
    await settings.getByText("10.0.9.0/24 (priority 5)").waitFor({ timeout: 60_000 });
    expect((await enabled()).networks.map((n) => n.subnet)).toContain("10.0.9.0/24");
    await page.getByRole("button", { name: "Remove network 10.0.9.0/24" }).click();
    await settings.getByText("10.0.9.0/24").waitFor({ state: "detached", timeout: 60_000 });
    // Settings: the storage migration limit.
    const storage = (await enabled()).maximumStorageMigrations;
    await page.getByLabel("Storage migrations at once").fill(String(storage + 1));
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect
      .poll(async () => (await enabled()).maximumStorageMigrations, { timeout: 60_000 })
      .toBe(storage + 1);
    expect(problems).toEqual([]);
    await close();
  });

  it("opens a VM from its host and runs a preflight to another host: every check and remedy as the API's", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("link", { name: "HV1", exact: true }).click();
    await page.getByRole("heading", { name: "Host HV1" }).waitFor();
    await page.getByRole("link", { name: "vm-2" }).click();
    await page.getByRole("heading", { name: "VM vm-2" }).waitFor();
    const facts = page.locator("dl[data-vm-facts]");
    expect(await facts.locator("dd").first().textContent()).toBe("HV1");
    await facts.getByText("aaaaaaaa-0000-4000-8000-000000000002").waitFor();
    await page.getByRole("combobox", { name: "Destination host" }).selectOption({ label: "HV2" });
    await page.getByRole("button", { name: "Run preflight" }).click();
    const report = page.locator('[data-preflight="HV2"]');
    await report.waitFor();
    const expected = await api.gqlOk<{
      migrationPreflight: { ok: boolean; checks: { name: string; status: string; remedy: string | null }[] };
    }>(PREFLIGHT_GQL, { input: { vm: ids.vms["vm-2"], destinationHost: ids.hosts.HV2 } });
    const checks = expected.migrationPreflight.checks;
    expect(checks.length).toBeGreaterThan(3);
    expect(await report.locator("tbody th").allTextContents()).toEqual(checks.map((c) => c.name));
    for (const c of checks) {
      const cells = report.locator(`tr[data-check="${c.name}"] td`);
      expect(await cells.nth(0).textContent()).toContain(c.status);
      expect(await cells.nth(2).textContent()).toBe(c.remedy ?? "");
    }
    expect(await report.locator("h3").textContent()).toContain(
      expected.migrationPreflight.ok ? "can move" : "blocked",
    );
    // The way on: the Move page, with the VM found.
    await page.getByRole("link", { name: "Move vm-2…" }).click();
    await page.getByRole("button", { name: "vm-2" }).waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("a VIEWER signs in and sees its role; the whole page works from the keyboard with a visible focus", async () => {
    const created = await api.gqlOk<{ createApiToken: { secret: string } }>(
      `mutation { createApiToken(input: { name: "console-viewer", role: VIEWER }) { secret } }`,
    );
    const { page, problems, close } = await openConsole(browser, api.url, { width: 600, height: 800 });
    // Keyboard only: Tab to the token field, type, Enter submits. (The form is rendered by the app after
    // the page's load event: wait for it, or the Tab lands before there is anything to focus.)
    await page.getByLabel("API token").waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("token");
    await page.keyboard.type(created.createApiToken.secret);
    await page.keyboard.press("Enter");
    await page.getByRole("navigation", { name: "Main" }).waitFor();
    expect(await page.locator(".who").textContent()).toContain("(VIEWER)");
    await page.getByText("2 hosts").waitFor();
    // First Tab reaches the skip link, which is visible when focused and moves focus to the content.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).toBe("solid");
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main");
    // An unknown host: the page says so (error state), from a link typed into the address bar.
    await page.goto(`${api.url}/ui/host?name=NO-SUCH-HOST`);
    await page.getByRole("alert").filter({ hasText: "There is no host named NO-SUCH-HOST." }).waitFor();
    await page.getByRole("link", { name: "← Fleet" }).click();
    // A VIEWER reads a host's settings but is offered no configuration action.
    await page.getByRole("link", { name: "HV1", exact: true }).click();
    await page.locator("dl[data-settings]").waitFor();
    expect(await page.locator("[data-actions]").count()).toBe(0);
    // The audit log is ADMIN's: a VIEWER has no Audit page in the navigation.
    expect(
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).count(),
    ).toBe(0);
    // Narrow window: no horizontal scrolling of the page itself (wide tables scroll in their own box).
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(problems).toEqual([]);
    await close();
  });

  it("Maintenance: the what-if plan as a table and a picture, start, the drain live to 100 %, end with the VMs' return", async () => {
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("link", { name: "Maintenance" }).click();
    await page.getByRole("combobox", { name: "Host" }).selectOption("HV1");
    await page.getByRole("button", { name: "Plan the evacuation" }).click();
    const plan = page.locator('[data-plan="HV1"]');
    await plan.waitFor();
    const expected = await api.gqlOk<{
      evacuationPlan: {
        steps: { vm: { name: string; memoryAssignedBytes: string }; destination: { name: string } }[];
      };
    }>(
      `query($h: ID!) { evacuationPlan(input: { host: $h }) { steps { vm { name memoryAssignedBytes } destination { name } } } }`,
      { h: ids.hosts.HV1 },
    );
    const steps = expected.evacuationPlan.steps;
    // Every VM on HV1 (vm-2; vm-1 too when this test runs alone) can go.
    expect(steps.length).toBeGreaterThan(0);
    // The table: one row per planned move, in start order, with its destination.
    expect(await plan.locator("table.plan tbody th").allTextContents()).toEqual(steps.map((s) => s.vm.name));
    expect(await plan.locator("table.plan tbody td:nth-of-type(3)").allTextContents()).toEqual(
      steps.map((s) => s.destination.name),
    );
    // The picture: every host's memory in use before (as the API reports it) and after the moves.
    const hostsNow = await api.gqlOk<{
      hosts: {
        edges: { node: { name: string; memoryCapacityBytes: string; memoryAvailableBytes: string } }[];
      };
    }>(`{ hosts(first: 10) { edges { node { name memoryCapacityBytes memoryAvailableBytes } } } }`);
    for (const { node: h } of hostsNow.hosts.edges) {
      const g = plan.locator(`g[data-memory-host="${h.name}"]`);
      const before = Number(h.memoryCapacityBytes) - Number(h.memoryAvailableBytes);
      const moved = steps.reduce(
        (sum, s) =>
          sum +
          (s.destination.name === h.name ? Number(s.vm.memoryAssignedBytes) : 0) -
          (h.name === "HV1" ? Number(s.vm.memoryAssignedBytes) : 0),
        0,
      );
      expect(Number(await g.getAttribute("data-before"))).toBe(before);
      expect(Number(await g.getAttribute("data-after"))).toBe(before + moved);
    }
    expect(Number(await plan.locator('g[data-memory-host="HV1"]').getAttribute("data-after"))).toBeLessThan(
      Number(await plan.locator('g[data-memory-host="HV1"]').getAttribute("data-before")),
    );

    // Start: the drain is followed live (maintenanceChanged) through DRAINING to 100 % and IN_MAINTENANCE.
    await page.getByRole("button", { name: "Start maintenance of HV1" }).click();
    const status = page.locator("[data-maintenance-state]");
    await status.waitFor();
    const states = new Set<string>();
    const drain = page.getByRole("progressbar", { name: "Drain of HV1" });
    await eventually(
      async () => {
        states.add((await status.getAttribute("data-maintenance-state")) ?? "");
        return states.has("IN_MAINTENANCE");
      },
      120_000,
      "IN_MAINTENANCE",
    );
    expect(await drain.getAttribute("aria-valuenow")).toBe("100");
    expect(states.has("DRAINING"), [...states].join()).toBe(true);
    const where = async (vm: string) =>
      (
        await api.gqlOk<{ vms: { edges: { node: { host: { name: string } } }[] } }>(
          `query($n: String!) { vms(first: 1, filter: { name: $n }) { edges { node { host { name } } } } }`,
          { n: vm },
        )
      ).vms.edges[0]!.node.host.name;
    for (const step of steps) expect(await where(step.vm.name)).toBe(step.destination.name);

    // End with return: RETURNING, then ENDED with the VM back on HV1.
    await page.getByRole("button", { name: "End maintenance and bring the VMs back" }).click();
    await page.locator('[data-maintenance-state="ENDED"]').waitFor({ timeout: 120_000 });
    const back = page.getByRole("progressbar", { name: "Return to HV1" });
    expect(await back.getAttribute("aria-valuenow")).toBe("100");
    expect(await back.getAttribute("aria-valuetext")).toContain(
      `${steps.length} of ${steps.length} VMs back`,
    );
    for (const step of steps) expect(await where(step.vm.name)).toBe("HV1");
    await page.locator("tr[data-maintenance]").first().getByText("ENDED").waitFor();
    expect(problems).toEqual([]);
    await close();
  });

  it("Audit: filtered by operation, paged by cursor, exported as CSV through the page's link (ADMIN only)", async () => {
    // 26 audited calls of one operation: more than one page of 25.
    for (let i = 0; i < 26; i++) {
      await api.gqlOk(
        `mutation($n: String!) { createApiToken(input: { name: $n, role: VIEWER }) { secret } }`,
        {
          n: `console-audit-${i}`,
        },
      );
    }
    const total = (
      await api.gqlOk<{ auditLog: { totalCount: number } }>(
        `{ auditLog(first: 1, filter: { operation: "createApiToken" }) { totalCount } }`,
      )
    ).auditLog.totalCount;
    expect(total).toBeGreaterThan(25);
    const { page, problems, close } = await openConsole(browser, api.url);
    await signIn(page, ADMIN_TOKEN);
    await page.getByRole("link", { name: "Audit" }).click();
    await page.getByRole("heading", { name: "Audit" }).waitFor();
    await page.getByLabel("Operation (exact)").fill("createApiToken");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByText(`${total} entries, page 1`).waitFor();
    const operations = page.locator("table.audit tbody tr th");
    expect(await operations.count()).toBe(25);
    expect(new Set((await operations.allTextContents()).map((t) => t.trim()))).toEqual(
      new Set(["createApiToken"]),
    );
    await page
      .getByRole("navigation", { name: "Audit pages" })
      .getByRole("button", { name: "Next page" })
      .click();
    await page.getByText(`${total} entries, page 2`).waitFor();
    await expect.poll(() => operations.count()).toBe(total - 25);
    // An entry's details: its input (the token's name; never a secret).
    // Newest first: page 2 starts with the oldest of the 26.
    const oldest = page.locator("table.audit tbody tr").first();
    await oldest.locator("summary").click();
    expect(await oldest.locator("pre").textContent()).toContain('"console-audit-0"');

    // The CSV export link downloads the log with the token (a bearer header a plain link could not send).
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("ferry-audit.csv");
    const csv = fs.readFileSync((await download.path())!, "utf8");
    expect(csv.split(/\r?\n/)[0]).toBe(
      "id,at,kind,actor,role,operation,target,outcome,errorCode,errorMessage,requestId,input",
    );
    expect(csv.match(/,createApiToken,/g)?.length).toBe(total);
    expect(problems).toEqual([]);
    await close();
  });

  it("every page passes axe-core (no serious or critical violation) and fits 1280×800 and a 600 px window", async () => {
    const { page, problems, close } = await openConsole(browser, api.url, undefined, { bypassCSP: true });
    const check = async (name: string) => {
      expect(await seriousViolations(page), name).toEqual([]);
      await screenshot(page, name);
      await page.setViewportSize({ width: 600, height: 800 });
      expect(await overflowing(page), `${name} at 600 px`).toEqual([]);
      await page.setViewportSize({ width: 1280, height: 800 });
    };
    const nav = async (name: string) => {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).click();
      await page.getByRole("heading", { level: 1, name: new RegExp(`^${name}`) }).waitFor();
    };
    await page.getByLabel("API token").waitFor();
    await check("sign-in");
    await signIn(page, ADMIN_TOKEN);
    await page.getByText("2 hosts, 2 agents connected").waitFor();
    await check("fleet");
    // Host HV1 with its readiness, VMs and events.
    await page.getByRole("link", { name: "HV1", exact: true }).click();
    await page.locator("table.readiness tbody tr").first().waitFor();
    await page.locator('table[aria-labelledby="vms-title"] tbody tr').first().waitFor();
    await page.locator("tr[data-event]").first().or(page.getByText("No events reported.")).waitFor();
    await check("host");
    // A VM with a preflight's report.
    await page.getByRole("link", { name: "vm-2" }).click();
    await page.getByRole("button", { name: "Run preflight" }).click();
    await page.locator("[data-preflight] tbody tr").first().waitFor();
    await check("vm");
    // Move: a VM picked, its placement options.
    await nav("Move");
    await page.getByRole("searchbox", { name: "VM name contains" }).fill("vm-2");
    await page.getByRole("button", { name: "vm-2", exact: true }).click();
    await page.locator("[data-option] tbody tr").first().waitFor();
    await check("move");
    // Migrations: the history of this file's moves (the drain and the return among them).
    await nav("Migrations");
    await page.getByText(/\d+ ended moves/).waitFor();
    await check("migrations");
    // Maintenance: HV1's what-if, table and picture.
    await nav("Maintenance");
    await page.getByRole("combobox", { name: "Host" }).selectOption("HV1");
    await page.getByRole("button", { name: "Plan the evacuation" }).click();
    await page.locator("[data-plan] g[data-memory-host]").first().waitFor();
    await check("maintenance");
    await nav("Audit");
    await page.locator("table.audit tbody tr").first().waitFor();
    await check("audit");
    expect(problems).toEqual([]);
    await close();
  });
});
