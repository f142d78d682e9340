// Writes schema.graphql (the checked-in contract) or, with --check, fails when it is stale.
import fs from "node:fs";
import path from "node:path";
import { printedSchema } from "../schema.ts";

const file = path.resolve(import.meta.dirname, "../../../../schema.graphql");
const printed = printedSchema();
if (process.argv.includes("--check")) {
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  if (current !== printed) {
    console.error("schema.graphql is stale: run `npm run print-schema -w @ferry/api` and commit it.");
    process.exit(1);
  }
} else {
  fs.writeFileSync(file, printed);
  console.log(`wrote ${file}`);
}
