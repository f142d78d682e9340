// The e2e tier's global setup: bundles the API's and the agent's entry points once per run, so the tests
// that run them as processes start plain JavaScript instead of loading ~300 TypeScript modules through tsx
// in every child (tsx cost a child API start ~15 s of CPU on a loaded 2-core machine, the bundle ~8 s).
// Same code: node_modules stay external (loaded as in development) and import.meta.* keeps naming each
// source file, so paths relative to a source file (migrations, PowerShell scripts) resolve as before.
// startApiProcess and startSimulatedAgent use them (processes.ts); without this setup they use tsx.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const BUNDLES_ENV = "FERRY_TEST_BUNDLES";
export const ENTRIES = {
  api: path.join(ROOT, "services/api/src/main.ts"),
  agent: path.join(ROOT, "services/agent/src/main.ts"),
} as const;

const sourceMeta: Plugin = {
  name: "source-import-meta",
  setup(b) {
    // Packages from node_modules load natively; the workspace packages (@ferry/*) are TypeScript: bundled.
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@ferry/") ? undefined : { external: true },
    );
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = fs.readFileSync(args.path, "utf8");
      return {
        loader: "ts",
        contents: text.includes("import.meta")
          ? text
              .replaceAll("import.meta.dirname", JSON.stringify(path.dirname(args.path)))
              .replaceAll("import.meta.filename", JSON.stringify(args.path))
              .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          : text,
      };
    });
  },
};

export default async function setup(): Promise<() => void> {
  // Inside the repository, so the bundles' external imports resolve from its node_modules.
  const dir = fs.mkdtempSync(path.join(ROOT, "node_modules", ".ferry-test-bundles-"));
  for (const [name, entry] of Object.entries(ENTRIES)) {
    await build({
      entryPoints: [entry],
      outfile: path.join(dir, `${name}.mjs`),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      plugins: [sourceMeta],
      logLevel: "warning",
    });
  }
  process.env[BUNDLES_ENV] = dir;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
