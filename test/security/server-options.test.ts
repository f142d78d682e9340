// Configurable hardening: TLS (https/wss with a certificate made here by openssl), introspection
// switched off, per-token rate limits over HTTP and WebSocket, and clear configuration errors.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "@ferry/api/server";
import { createClient } from "graphql-ws";
import { afterAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ADMIN_TOKEN, startTestApi, type TestApi } from "../helpers/api.ts";
import { createToken } from "./principals.ts";
import { wsConnect, wsOnce } from "./transport.ts";

const started: TestApi[] = [];
afterAll(async () => {
  for (const api of started) await api.stop();
});
async function start(env: Record<string, string>) {
  const api = await startTestApi(env);
  started.push(api);
  return api;
}

describe("TLS", () => {
  it("serves https and wss with FERRY_TLS_CERT / FERRY_TLS_KEY", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferry-tls-"));
    const cert = path.join(dir, "cert.pem");
    const key = path.join(dir, "key.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
      ],
      { stdio: "ignore" },
    );
    const ca = fs.readFileSync(cert);
    const api = await start({ FERRY_TLS_CERT: cert, FERRY_TLS_KEY: key });
    expect(api.url).toMatch(/^https:\/\//);
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        `${api.url}/graphql`,
        {
          method: "POST",
          ca,
          headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify({ query: "{ viewer { name } }" }));
    });
    expect(JSON.parse(body).data).toEqual({ viewer: { name: "bootstrap-admin" } });
    class TrustingWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { ca });
      }
    }
    const client = createClient({
      url: `${api.url.replace("https", "wss")}/graphql`,
      webSocketImpl: TrustingWebSocket,
      connectionParams: { authorization: `Bearer ${ADMIN_TOKEN}` },
      retryAttempts: 0,
    });
    expect((await wsOnce(client, "{ viewer { role } }")).data).toEqual({ viewer: { role: "ADMIN" } });
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("refuses half a TLS configuration or unreadable files at boot", () => {
    expect(() => loadConfig({ FERRY_TLS_CERT: "/etc/hostname" })).toThrow(/set both/);
    expect(() => loadConfig({ FERRY_TLS_CERT: "/nope.pem", FERRY_TLS_KEY: "/nope.key" })).toThrow(
      ConfigError,
    );
    expect(() => loadConfig({ FERRY_INTROSPECTION: "maybe", FERRY_RATE_LIMIT_BURST: "0" })).toThrow(
      /FERRY_INTROSPECTION[\s\S]*FERRY_RATE_LIMIT_BURST/,
    );
  });
});

describe("introspection switched off", () => {
  it("refuses __schema and __type, and serves no GraphiQL", async () => {
    const api = await start({ FERRY_INTROSPECTION: "false" });
    const r = await api.gql("{ __schema { types { name } } }");
    expect(r.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await api.gql('{ __type(name: "Host") { name } }')).errors?.length).toBe(1);
    expect((await api.gql("{ viewer { name } }")).data).toEqual({ viewer: { name: "bootstrap-admin" } });
    const page = await fetch(`${api.url}/graphql`, { headers: { accept: "text/html" } });
    expect(await page.text()).not.toContain("GraphiQL");
  });
});

describe("rate limit per token", () => {
  it("answers 429 RATE_LIMITED with Retry-After once the bucket is empty, per token", async () => {
    // A refill of one request per 1000 s: the bucket cannot refill between requests however slow the machine.
    const api = await start({ FERRY_RATE_LIMIT_PER_SECOND: "0.001", FERRY_RATE_LIMIT_BURST: "3" });
    const other = (await createToken(api, "other", "VIEWER")).secret; // uses 1 of the admin's 3
    const statuses: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < 3; i++) {
      last = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ query: "{ viewer { name } }" }),
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(
      ((await last!.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe("RATE_LIMITED");
    // Another token has its own bucket.
    expect((await api.gql("{ viewer { name } }", {}, other)).status).toBe(200);
    // Over WebSocket, each operation takes from the same token's bucket.
    const client = wsConnect(api.url, other);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await wsOnce(client, "{ viewer { name } }"));
    expect(answers.at(-1)!.errors[0]?.extensions?.code).toBe("RATE_LIMITED");
    await client.dispose();
  });
});
