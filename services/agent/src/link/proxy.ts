// The agent behind an HTTP(S) forward proxy (ferry-agent.json `proxy`, flag --proxy): every connection
// to the API (enrollment's fetch, doctor's probe, the graphql-ws link) goes through one HTTP CONNECT
// tunnel, except hosts listed in `noProxy`. Credentials may sit in the proxy URL; they are sent as
// Proxy-Authorization and never printed (redactUrl).
import type { Agent } from "node:http";
import { HttpsProxyAgent } from "https-proxy-agent";
import { ProxyAgent, fetch as undiciFetch } from "undici";

export interface ProxySettings {
  /** http://[user:password@]host:port of the forward proxy; undefined = direct connections. */
  proxy?: string;
  /** Hosts reached directly: `example.com` (and its subdomains), `.example.com`, `host:port` or `*`. */
  noProxy?: string[];
}

/** The URL with any password (and user name) replaced by `***`: safe for logs and doctor output. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = parsed.username ? "***" : "";
    parsed.password = parsed.password ? "***" : "";
    return parsed.toString().replace(/\/$/, url.endsWith("/") ? "/" : "");
  } catch {
    return "(unparsable URL)";
  }
}

function defaultPort(protocol: string): string {
  return protocol === "https:" || protocol === "wss:" ? "443" : "80";
}

/** Whether `target` is reached through the proxy (a proxy is set and no noProxy entry matches). */
export function usesProxy(target: string | URL, settings: ProxySettings): boolean {
  if (!settings.proxy) return false;
  const url = new URL(target);
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || defaultPort(url.protocol);
  for (const raw of settings.noProxy ?? []) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return false;
    const [name, entryPort] = entry.startsWith("[")
      ? [entry.slice(1, entry.indexOf("]")), entry.slice(entry.indexOf("]") + 2) || undefined]
      : (entry.split(":") as [string, string | undefined]);
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, "");
    if (host === bare || host.endsWith(`.${bare}`)) return false;
  }
  return true;
}

/** The proxy said no, or could not be reached: the message names the proxy (without credentials). */
export class ProxyError extends Error {
  override readonly name = "ProxyError";
}

/**
 * undici wraps the reason twice ("fetch failed" > "Request was cancelled." > the proxy's answer, e.g.
 * "Proxy response (407) !== 200 when HTTP Tunneling", or the socket error): report the innermost.
 */
export function describeCause(error: unknown): string {
  let e = error as { message?: string; code?: string; cause?: unknown } | undefined;
  for (let depth = 0; depth < 5 && (e?.cause as { message?: string } | undefined)?.message; depth++)
    e = e!.cause as typeof e;
  const message = e?.message ?? String(error);
  const status = /Proxy response \((\d+)\)/.exec(message)?.[1];
  if (status === "407")
    return "the proxy refused the tunnel (HTTP 407 Proxy Authentication Required: check user:password in the proxy URL)";
  if (status) return `the proxy refused the tunnel (HTTP ${status})`;
  return `${e?.code && !e.code.startsWith("UND_ERR") ? `${e.code} ` : ""}${message}`;
}

/** One proxy's connections: `fetch` for HTTP requests, `wsAgent` for the WebSocket link. */
export interface ApiTransport {
  fetch: typeof fetch;
  /** The http.Agent that tunnels a WebSocket to `target`, or undefined for a direct connection. */
  wsAgent(target: string): Agent | undefined;
  /** The proxy as printed in logs (credentials redacted), or undefined without one. */
  describe(): string | undefined;
}

export function apiTransport(settings: ProxySettings): ApiTransport {
  const proxy = settings.proxy;
  if (!proxy) return { fetch: globalThis.fetch, wsAgent: () => undefined, describe: () => undefined };
  const shown = redactUrl(proxy);
  // undici's own fetch with its own ProxyAgent: Node 20's built-in fetch is an older undici whose
  // dispatcher interface differs, so the two are never mixed.
  const dispatcher = new ProxyAgent({ uri: proxy });
  let tunnel: HttpsProxyAgent<string> | undefined;
  const proxiedFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const target = input instanceof Request ? input.url : String(input);
    if (!usesProxy(target, settings)) return globalThis.fetch(input, init);
    try {
      return (await undiciFetch(target, {
        ...(init as object),
        dispatcher,
      } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
    } catch (error) {
      const name = (error as Error)?.name;
      // A timeout stays a timeout (the caller tries the next replica).
      if (name === "TimeoutError" || name === "AbortError") throw error;
      throw new ProxyError(`through proxy ${shown}: ${describeCause(error)}`, { cause: error });
    }
  }) as typeof fetch;
  return {
    fetch: proxiedFetch,
    wsAgent(target) {
      if (!usesProxy(target, settings)) return undefined;
      tunnel ??= new HttpsProxyAgent(proxy, { keepAlive: false });
      return tunnel;
    },
    describe: () => shown,
  };
}
