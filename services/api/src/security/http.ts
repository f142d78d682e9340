// Guards in front of yoga for plain HTTP: per-token rate limit, CSRF prevention, request body limit.
import type http from "node:http";
import { bearer, hashSecret } from "../modules/auth/secrets.ts";
import type { RateLimiter } from "./ratelimit.ts";

/** Writes a GraphQL-shaped error response `{ errors: [{ message, extensions: { code } }] }`. */
export function sendError(
  res: http.ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.end();
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers }).end(body);
}

/** Rate-limit key of a request or connection: the token's hash, else the client address. */
export function rateKey(authorization: string | null | undefined, address: string | undefined): string {
  const secret = bearer(authorization);
  return secret && secret.length <= 200 ? `t:${hashSecret(secret)}` : `ip:${address ?? "unknown"}`;
}

/** Applies the rate limit; false (and a 429 already sent) when the caller must wait. */
export function allowRate(
  limiter: RateLimiter,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): boolean {
  const verdict = limiter.take(rateKey(req.headers.authorization, req.socket.remoteAddress));
  if (verdict.ok) return true;
  sendError(res, 429, "RATE_LIMITED", `Too many requests; retry after ${verdict.retryAfterSeconds} s`, {
    "retry-after": String(verdict.retryAfterSeconds),
  });
  return false;
}

const JSON_TYPES = ["application/json", "application/graphql-response+json"];
const PREFLIGHT_HEADERS = ["x-ferry-csrf", "graphql-require-preflight", "apollo-require-preflight"];

/**
 * CSRF prevention: a browser sends a cross-site request without a CORS preflight only with a
 * "simple" content type (form, multipart, text/plain) or as a GET. POSTs must therefore be JSON
 * (415 otherwise), and GET operations must carry a header no simple request can (403 otherwise).
 * GraphiQL (a GET of the page itself, without `query`) stays reachable. Returns false when refused.
 */
export function allowCsrf(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  if (req.method === "POST") {
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
    if (JSON_TYPES.includes(type)) return true;
    sendError(res, 415, "UNSUPPORTED_MEDIA_TYPE", "POST /graphql needs Content-Type: application/json");
    return false;
  }
  if (req.method === "GET" && url.searchParams.has("query")) {
    if (PREFLIGHT_HEADERS.some((h) => req.headers[h] !== undefined)) return true;
    sendError(
      res,
      403,
      "CSRF_PREVENTED",
      "GET operations need an X-Ferry-Csrf (or GraphQL-Require-Preflight) header; or use POST with JSON",
    );
    return false;
  }
  return true;
}

/**
 * GET operations carry `variables` and `extensions` as JSON in the URL; one that is not a JSON
 * object is the client's mistake: 400 with a GraphQL error (yoga would answer a masked 500-like
 * error). Returns false when refused.
 */
export function allowGetParams(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
  if (req.method !== "GET") return true;
  for (const name of ["variables", "extensions"]) {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = undefined;
    }
    if (value === null || (typeof value === "object" && !Array.isArray(value))) continue;
    sendError(res, 400, "BAD_REQUEST", `The \`${name}\` parameter must be a JSON object`);
    return false;
  }
  return true;
}

/**
 * Reads the request body up to `limit` bytes. Null (and 413 sent) when it is larger; the rest of
 * an oversized upload is not read, and the connection is closed after the answer.
 */
export function readBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit: number,
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const tooLarge = () => {
      req.removeAllListeners("data");
      req.pause();
      res.once("finish", () => req.socket.destroy());
      res.setHeader("connection", "close");
      sendError(res, 413, "PAYLOAD_TOO_LARGE", `Request body larger than ${limit} bytes`);
      resolve(null);
    };
    const declared = Number(req.headers["content-length"] ?? "0");
    if (Number.isFinite(declared) && declared > limit) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return tooLarge();
      chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks)));
    req.once("error", () => resolve(null));
  });
}
