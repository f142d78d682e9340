// Guard for the composition root (issue 11 item 3): no module of the API registers a listener, starts a
// timer or runs a loop when it is imported; reactions are registered on one App by app.ts. Pothos type
// registration (`builder.*`) is the one intended import-time effect.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const SRC = import.meta.dirname;
/** Entry points run as programs, not imported. */
const PROGRAMS = new Set(["main.ts"]);

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === "generated" || d.name === "scripts" ? [] : sources(full);
    return d.name.endsWith(".ts") && !d.name.endsWith(".test.ts") ? [full] : [];
  });
}

// A statement at column 0 that calls something: `onX(...)`, `x.on(...)`, `setInterval(...)`, `for (...)`.
const TOP_LEVEL_EFFECT =
  /^(?!builder\.)(?:[A-Za-z_$][\w$]*\(|for \(|if \(|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.(?:on|once|subscribe|addListener|register)\w*\()/;

describe("composition root", () => {
  it("no API module has an effect when imported (listeners, timers, loops)", () => {
    const effects = sources(SRC)
      .filter((file) => !PROGRAMS.has(path.relative(SRC, file)))
      .flatMap((file) =>
        fs
          .readFileSync(file, "utf8")
          .split("\n")
          .map((line, i) => ({ line, at: `${path.relative(SRC, file)}:${i + 1}` }))
          .filter(({ line }) => TOP_LEVEL_EFFECT.test(line))
          .map(({ line, at }) => `${at}: ${line.trim()}`),
      );
    expect(effects).toEqual([]);
  });
});
