// Debian's Chromium (apt-get install chromium; .ci/run installs it) driven by playwright-core: no browser
// download. One browser per test file; every page records console errors, page errors and failed requests
// so a test can assert there were none.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM = process.env.FERRY_CHROMIUM ?? "/usr/bin/chromium";
const CONSOLE_DIST = fileURLToPath(new URL("../../services/console/dist/index.html", import.meta.url));

export interface ConsolePage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set FERRY_CHROMIUM)`);
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
): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
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
