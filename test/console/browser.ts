// Debian's Chromium driven by playwright-core: no browser download. Its headless shell (apt-get install
// chromium-headless-shell) when installed, else the full browser (apt-get install chromium). One browser per
// test file; every page records console errors, page errors and failed requests so a test can assert there
// were none.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/**
 * The headless shell is the same Chromium (same Blink, V8, fonts and layout) without the browser's own UI,
 * and what Playwright itself uses for headless runs. The full browser in headless mode still builds its
 * UI for every context (window): an omnibox-popup WebUI renderer and a spare renderer, ~1.4 s of CPU per
 * context; the console tests open ~20 contexts. Measured on 4 contexts: 10.0 s of CPU -> 3.3 s.
 */
const HEADLESS_SHELL = "/usr/bin/chromium-headless-shell";
export const CHROMIUM =
  process.env.FERRY_CHROMIUM ?? (fs.existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : "/usr/bin/chromium");
const CONSOLE_DIST = fileURLToPath(new URL("../../services/console/dist/index.html", import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL("../../docs/console/", import.meta.url));
const require = createRequire(import.meta.url);

export interface ConsolePage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: apt-get install -y chromium-headless-shell (or chromium, or set FERRY_CHROMIUM)`,
    );
  }
  if (!fs.existsSync(CONSOLE_DIST)) {
    throw new Error(`${path.dirname(CONSOLE_DIST)} is missing: run npm run build first`);
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu"],
  });
}

export async function openConsole(
  browser: Browser,
  apiUrl: string,
  viewport = { width: 1280, height: 800 },
  /** bypassCSP: only for pages that inject axe-core (an inline script the console's CSP refuses). */
  options: { bypassCSP?: boolean } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport, bypassCSP: options.bypassCSP ?? false });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    // A navigation away aborts the page's open requests (ERR_ABORTED): not a fault.
    if (request.failure()?.errorText !== "net::ERR_ABORTED") {
      problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
    }
  });
  await page.goto(`${apiUrl}/ui/`);
  return { page, problems, close: () => context.close() };
}

/** Signs in with `token` on the sign-in page and waits for the shell. */
export async function signIn(page: Page, token: string) {
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA and best practices),
 * one line each with the elements concerned. The page's context must bypass CSP (openConsole option).
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) {
    await page.addScriptTag({ path: require.resolve("axe-core") });
  }
  return page.evaluate(async () => {
    interface Violation {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: unknown[] }[];
    }
    const axe = (
      window as unknown as { axe: { run(context: Document): Promise<{ violations: Violation[] }> } }
    ).axe;
    const { violations } = await axe.run(document);
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  });
}

/**
 * With FERRY_SCREENSHOTS=1, saves the viewport (1280×800) as docs/console/<name>.png (the README links them).
 * Off by default so that ordinary runs do not rewrite the committed images.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.FERRY_SCREENSHOTS !== "1") return;
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // No caret, no running transition in the picture.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({
    path: path.join(SCREENSHOTS, `${name}.png`),
    animations: "disabled",
    caret: "hide",
  });
}

/**
 * What makes the page scroll sideways: the innermost elements that stick out on the right (empty when the page
 * fits; wide tables scroll inside their own box and do not count).
 */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth) return [];
    const out: string[] = [];
    // The innermost elements that stick out (their children do not): the ones to fix.
    const walk = (el: Element): boolean => {
      let below = false;
      // A box that scrolls (or clips) its content contains it: look no further in.
      if (getComputedStyle(el).overflowX === "visible") {
        for (const child of el.children) below = walk(child) || below;
      }
      if (below || el.getBoundingClientRect().right <= window.innerWidth + 1) return below;
      out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")}: ${el.textContent?.slice(0, 60)}`);
      return true;
    };
    walk(document.body);
    return out.length ? out : ["(something)"];
  });
}
