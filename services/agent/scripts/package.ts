// `npm run package -w @ferry/agent`: dist/ferry-agent-<version>.zip, everything a Hyper-V host needs
// besides Node.js: the agent bundled into one CommonJS file (all dependencies inlined, no node_modules,
// no tsx), ps/*.ps1, install.ps1, the service wrapper, a sample configuration with its JSON schema and
// a README. Runs offline. Options: --version <v> (default package.json's), --out <dir> (default dist/).
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { zipSync } from "fflate";

const AGENT_DIR = path.resolve(import.meta.dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(AGENT_DIR, "package.json"), "utf8")) as { version: string };
const rootPkg = JSON.parse(fs.readFileSync(path.join(AGENT_DIR, "../../package.json"), "utf8")) as {
  engines: { node: string };
};
/** The oldest Node.js the bundle runs on (the repository's engines field). */
export const MIN_NODE = rootPkg.engines.node.replace(/^>=\s*/, "");

/**
 * ws loads these native accelerators if present and falls back to JavaScript without them; the
 * bundle leaves them out (a require that fails inside ws's try/catch).
 */
const OPTIONAL_NATIVE = ["bufferutil", "utf-8-validate"];

export async function bundleAgent(version: string): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [path.join(AGENT_DIR, "src/main.ts")],
    bundle: true,
    platform: "node",
    target: `node${MIN_NODE.split(".")[0]}`,
    format: "cjs",
    write: false,
    outfile: "ferry-agent.js",
    external: OPTIONAL_NATIVE,
    metafile: true,
    logLevel: "warning",
    legalComments: "eof",
    banner: {
      js: [
        `// Ferry agent ${version}: one file, all dependencies inlined. Needs Node.js ${MIN_NODE} or later.`,
        'const __ferry_import_meta_url = require("node:url").pathToFileURL(__filename).href;',
      ].join("\n"),
    },
    define: {
      "import.meta.url": "__ferry_import_meta_url",
      "import.meta.filename": "__filename",
      "import.meta.dirname": "__dirname",
      "process.env.FERRY_AGENT_BUILD_VERSION": JSON.stringify(version),
    },
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error("esbuild produced no output");
  // The entry's own hashbang runs tsx; the bundle needs only node.
  const code = output.text.replace(/^#!.*\n/, "#!/usr/bin/env node\n");
  return { code, inputs: Object.keys(result.metafile.inputs) };
}

function readme(version: string): string {
  return fs
    .readFileSync(path.join(AGENT_DIR, "package/README.md"), "utf8")
    .replaceAll("{{version}}", version)
    .replaceAll("{{minNode}}", MIN_NODE);
}

export async function packageAgent(options: { version?: string; out?: string } = {}): Promise<string> {
  const version = options.version ?? pkg.version;
  const out = path.resolve(options.out ?? path.join(AGENT_DIR, "dist"));
  const { code } = await bundleAgent(version);
  const text = (file: string) => new Uint8Array(fs.readFileSync(file));
  const files: Record<string, Uint8Array> = {
    "ferry-agent.js": new TextEncoder().encode(code),
    // Pins the module type: a package.json with "type": "module" in a folder above must not turn the bundle into ESM.
    "package.json": new TextEncoder().encode(
      `${JSON.stringify({ name: "ferry-agent", version, private: true, type: "commonjs", engines: { node: `>=${MIN_NODE}` } }, null, 2)}\n`,
    ),
    "install.ps1": text(path.join(AGENT_DIR, "package/install.ps1")),
    // install.ps1 rewrites it with the absolute path of node.exe.
    "ferry-agent.cmd": new TextEncoder().encode('@node "%~dp0ferry-agent.js" %*\r\n'),
    "README.md": new TextEncoder().encode(readme(version)),
    "ferry-agent.sample.json": text(path.join(AGENT_DIR, "ferry-agent.sample.json")),
    "ferry-agent.schema.json": text(path.join(AGENT_DIR, "ferry-agent.schema.json")),
    "ferry-agent-service.exe": text(path.join(AGENT_DIR, "vendor/winsw/winsw.exe")),
    "ferry-agent-service.LICENSE.txt": text(path.join(AGENT_DIR, "vendor/winsw/LICENSE.txt")),
  };
  for (const script of fs
    .readdirSync(path.join(AGENT_DIR, "ps"))
    .filter((f) => f.endsWith(".ps1"))
    .sort()) {
    files[`ps/${script}`] = text(path.join(AGENT_DIR, "ps", script));
  }
  // Fixed timestamps: the same sources give the same zip.
  const mtime = new Date("2026-01-01T00:00:00Z");
  const zip = zipSync(
    Object.fromEntries(Object.entries(files).map(([name, data]) => [name, [data, { mtime }]])),
    { level: 9 },
  );
  fs.mkdirSync(out, { recursive: true });
  const zipPath = path.join(out, `ferry-agent-${version}.zip`);
  fs.writeFileSync(zipPath, zip);
  return zipPath;
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const { values } = parseArgs({ options: { version: { type: "string" }, out: { type: "string" } } });
  const zipPath = await packageAgent(values);
  console.log(
    `${path.relative(process.cwd(), zipPath)} (${(fs.statSync(zipPath).size / 1024).toFixed(0)} KiB)`,
  );
}
