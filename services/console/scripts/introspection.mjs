// Writes src/generated/graphql-env.d.ts from the API's printed schema (../../schema.graphql) so gql.tada
// types every document in the console against it: a schema change that breaks a document fails `tsc`
// (the console's build). Offline: reads the SDL file, never the running API.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { minifyIntrospection, outputIntrospectionFile } from "@gql.tada/internal";
import { buildSchema, introspectionFromSchema } from "graphql";

const here = path.dirname(fileURLToPath(import.meta.url));
const sdl = fs.readFileSync(path.resolve(here, "../../../schema.graphql"), "utf8");
const introspection = minifyIntrospection(introspectionFromSchema(buildSchema(sdl)));
const out = path.resolve(here, "../src/generated/graphql-env.d.ts");
const text = outputIntrospectionFile(introspection, { fileType: ".d.ts", shouldPreprocess: true });
fs.mkdirSync(path.dirname(out), { recursive: true });
if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== text) fs.writeFileSync(out, text);
