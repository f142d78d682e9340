// Issue 10 item 5: the README states the Node version Ferry needs, and the locked dependency versions
// agree with it. Before, @graphql-tools/executor 2.1 pulled @whatwg-node/promise-helpers 2.0.2 and
// @whatwg-node/disposablestack 0.1.0 (node >=22.15) while package.json and CI said Node 20:
// `npm ci` warned EBADENGINE. The root package.json pins older compatible versions (overrides).
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/processes.ts";

type Version = [number, number, number];

function parse(text: string): { version: Version; given: number } {
  const parts = text.replace(/^v/, "").split(".");
  const nums = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
  const given = nums.findIndex((n) => Number.isNaN(n));
  const count = given === -1 ? nums.length : given;
  return { version: [nums[0] || 0, count > 1 ? nums[1]! : 0, count > 2 ? nums[2]! : 0], given: count };
}

const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** A small semver range check for the forms engines use: >=, >, <=, <, =, ^, ~, x-ranges, ||. */
function satisfies(version: Version, range: string): boolean {
  return range.split("||").some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1")
      .split(/\s+/)
      .filter(Boolean)
      .every((comparator) => {
        if (comparator === "*" || comparator === "x") return true;
        const [, op = "", rest = ""] = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(comparator)!;
        const { version: v, given } = parse(rest);
        const c = cmp(version, v);
        switch (op) {
          case ">=":
            return c >= 0;
          case ">":
            return c > 0;
          case "<=":
            return c <= 0;
          case "<":
            return c < 0;
          case "^":
            return c >= 0 && (v[0] > 0 ? version[0] === v[0] : version[1] === v[1]);
          case "~":
            return c >= 0 && version[0] === v[0] && (given < 2 || version[1] === v[1]);
          default:
            return given === 1
              ? version[0] === v[0]
              : given === 2
                ? version[0] === v[0] && version[1] === v[1]
                : c === 0;
        }
      }),
  );
}

const root = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
};
const minimum = /^>=\s*(\d+\.\d+(?:\.\d+)?)$/.exec(root.engines.node)?.[1];

describe("the Node version", () => {
  it("package.json states a minimum, and the README says the same", () => {
    expect(minimum, root.engines.node).toBeDefined();
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(`Node.js ${minimum}`);
  });

  it("every locked dependency supports that minimum and the Node running the tests", () => {
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const low = parse(minimum!).version;
    const current = parse(process.version).version;
    const refused: string[] = [];
    for (const [where, pkg] of Object.entries(lock.packages)) {
      const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node;
      if (!where || !range) continue;
      for (const v of [low, current]) {
        if (!satisfies(v, range))
          refused.push(`${where}@${pkg.version} needs node ${range}, not ${v.join(".")}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it("the range check reads engines as npm does", () => {
    const v = parse("20.19.0").version;
    expect(satisfies(v, ">=22.15.0")).toBe(false);
    expect(satisfies(v, "^20.19.0 || >=22.12.0")).toBe(true);
    expect(satisfies(v, "^20.0.0 || ^22.0.0 || >=24.0.0")).toBe(true);
    expect(satisfies(v, ">= 10.x")).toBe(true);
    expect(satisfies(v, "^18.18")).toBe(false);
    expect(satisfies(v, "~20.18")).toBe(false);
  });
});
