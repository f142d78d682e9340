// Issue 10 item 1: the code's references to the design documents resolve inside the repository.
// Before, comments pointed at STACK.md and STYLE.md, which only existed outside it; they are now
// docs/stack.md, docs/style.md and docs/architecture.md. (HYPERV.md references are docs/hyperv.md's.)
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/processes.ts";

const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter(
    (f) =>
      /\.(ts|ps1|psm1|md|prisma|json)$/.test(f) && !f.includes("node_modules/") && !f.includes("/generated/"),
  )
  .filter((f) => fs.existsSync(path.join(ROOT, f)) && f !== "test/readme/references.test.ts");
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), "utf8");

describe("references to design documents", () => {
  it("name no document that lives outside the repository", () => {
    const outside = files.flatMap((f) =>
      [...read(f).matchAll(/\b(STACK|STYLE|ARCHITECTURE)\.md\b/g)].map((m) => `${f}: ${m[0]}`),
    );
    expect(outside).toEqual([]);
  });

  it("every docs/*.md a file names exists, and the docs' relative links resolve", () => {
    const missing: string[] = [];
    for (const f of files) {
      const text = read(f);
      for (const m of text.matchAll(/\bdocs\/([\w.-]+\.md)\b/g)) {
        if (!fs.existsSync(path.join(ROOT, "docs", m[1]!))) missing.push(`${f}: docs/${m[1]}`);
      }
      if (!f.endsWith(".md")) continue;
      for (const m of text.matchAll(/\]\(([^)#\s]+\.md)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1]!)) continue;
        if (!fs.existsSync(path.join(ROOT, path.dirname(f), m[1]!))) missing.push(`${f}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
    for (const doc of ["stack.md", "style.md", "architecture.md"]) {
      expect(fs.existsSync(path.join(ROOT, "docs", doc)), doc).toBe(true);
    }
  });
});
