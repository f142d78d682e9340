// One HTTP attempt: a signed JSON POST, bounded by a timeout, to an address that passed the private
// address check (the check runs inside the socket's own DNS lookup, so a name cannot resolve to a
// public address for the check and a private one for the connection). Redirects are not followed.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { isPrivateAddress } from "./address.ts";
import { signature } from "./secret.ts";

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, options, ((
      err: NodeJS.ErrnoException | null,
      address: string | dns.LookupAddress[],
      family?: number,
    ) => {
      if (err || allowPrivate) return callback(err, address, family);
      const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const inside = all.find(isPrivateAddress);
      if (inside) {
        const refused = new Error(
          `${hostname} resolves to ${inside}, a private address`,
        ) as NodeJS.ErrnoException;
        refused.code = "EPRIVATE";
        return callback(refused, address, family);
      }
      callback(null, address, family);
    }) as never);
  };
}

/** The headers and body of a delivery (also what the README's verification snippet checks). */
export function signedRequest(secret: string, body: string, now = Date.now()) {
  const timestamp = Math.floor(now / 1000);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "user-agent": "Ferry-Webhooks/1",
      "x-ferry-timestamp": String(timestamp),
      "x-ferry-signature": signature(secret, timestamp, body),
    },
  };
}

export function postSigned(
  url: string,
  secret: string,
  body: string,
  options: { timeoutMs: number; allowPrivate: boolean; eventId: string; deliveryId: string },
): Promise<AttemptResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  if (!options.allowPrivate && net.isIP(host) && isPrivateAddress(host)) {
    return Promise.resolve({ ok: false, statusCode: null, error: `${host} is a private address` });
  }
  const request = signedRequest(secret, body);
  const client = target.protocol === "https:" ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const done = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = client.request(
      target,
      {
        method: "POST",
        headers: {
          ...request.headers,
          "content-length": Buffer.byteLength(body),
          "x-ferry-event-id": options.eventId,
          "x-ferry-delivery-id": options.deliveryId,
        },
        lookup: guardedLookup(options.allowPrivate) as never,
        agent: false,
      },
      (res) => {
        const statusCode = res.statusCode ?? 0;
        res.resume();
        res.on("end", () =>
          done({
            ok: statusCode >= 200 && statusCode < 300,
            statusCode,
            error: statusCode >= 200 && statusCode < 300 ? null : `HTTP ${statusCode}`,
          }),
        );
        res.on("error", (err) => done({ ok: false, statusCode, error: err.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on("error", (err) => done({ ok: false, statusCode: null, error: err.message.slice(0, 500) }));
    req.end(body);
  });
}
