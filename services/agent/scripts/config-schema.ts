// Writes ferry-agent.schema.json from the zod schema (src/config/schema.ts):
// `npm run config-schema -w @ferry/agent`. A unit test fails when the committed file is stale.
import fs from "node:fs";
import path from "node:path";
import { agentConfigJsonSchema } from "../src/config/schema.ts";

const out = path.resolve(import.meta.dirname, "../ferry-agent.schema.json");
fs.writeFileSync(out, `${JSON.stringify(agentConfigJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
