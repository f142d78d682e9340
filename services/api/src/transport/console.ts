// GET /ui: the Ferry Console's built files (services/console/dist, built by turbo with the rest). No token is
// needed for them: the page asks for one and sends it with its GraphQL calls. Hashed assets are cached for
// good, index.html never (so a new build is picked up); any other /ui/* path is the app's own route and gets
// index.html (SPA fallback).
import fs from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const CONSOLE_PATH = "/ui";

/** Where `npm run build` puts the console, from this file (services/api/src/transport). */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../console/dist", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

// The page talks only to this origin (HTTP and WebSocket); nothing inline, no framing.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

export function isConsolePath(pathname: string): boolean {
  return pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`);
}

async function readFile(file: string): Promise<Buffer | null> {
  try {
    return await fs.readFile(file);
  } catch {
    return null;
  }
}

/** Answers a /ui request from `dir`; 404 for a missing asset, 503 when the console was never built. */
export async function handleConsole(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
  dir: string = DEFAULT_CONSOLE_DIR,
): Promise<void> {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("Method not allowed");
    return;
  }
  if (pathname === CONSOLE_PATH) {
    res.writeHead(301, { location: `${CONSOLE_PATH}/` }).end();
    return;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(CONSOLE_PATH.length + 1));
  } catch {
    res.writeHead(400, { "content-type": "text/plain" }).end("Malformed path");
    return;
  }
  const root = path.resolve(dir);
  const file = path.resolve(root, relative);
  const inside = file.startsWith(`${root}${path.sep}`) && !relative.includes("\0");
  const asset = inside && relative !== "" ? await readFile(file) : null;
  if (asset) return send(req, res, asset, path.extname(file), relative.startsWith("assets/"));
  // A missing file under assets/ or with an extension is a real 404, not a route of the app.
  if (relative.startsWith("assets/") || path.extname(relative) !== "") {
    res.writeHead(404, { "content-type": "text/plain", ...SECURITY_HEADERS }).end("Not found");
    return;
  }
  const index = await readFile(path.join(root, "index.html"));
  if (!index) {
    res
      .writeHead(503, { "content-type": "text/plain", "cache-control": "no-store" })
      .end("The console is not built: run `npm run build` (or `npm start`) first.");
    return;
  }
  send(req, res, index, ".html", false);
}

function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: Buffer,
  ext: string,
  immutable: boolean,
) {
  res.writeHead(200, {
    "content-type": TYPES[ext] ?? "application/octet-stream",
    "content-length": body.length,
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
    ...SECURITY_HEADERS,
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
