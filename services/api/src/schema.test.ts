// schema.graphql is the checked-in contract: it must match what the code builds.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { printedSchema, schema } from "./schema.ts";

describe("schema", () => {
  it("matches the checked-in schema.graphql (run `npm run print-schema -w @ferry/api` after changes)", () => {
    const file = fs.readFileSync(path.resolve(import.meta.dirname, "../../../schema.graphql"), "utf8");
    expect(printedSchema()).toBe(file);
  });

  it("documents every type and field", () => {
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith("__") || ["String", "Int", "Float", "Boolean", "ID"].includes(type.name))
        continue;
      if (!type.description) undocumented.push(type.name);
      if ("getFields" in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });
});
