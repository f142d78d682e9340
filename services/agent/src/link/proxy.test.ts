// Which API URLs go through the proxy (noProxy), and that a proxy URL's credentials never reach a log.
import { describe, expect, it } from "vitest";
import { apiTransport, describeCause, redactUrl, usesProxy } from "./proxy.ts";

describe("proxy settings", () => {
  it("redacts credentials and leaves other URLs alone", () => {
    expect(redactUrl("http://ferry:p%40ss@proxy.corp:3128")).toBe("http://***:***@proxy.corp:3128");
    expect(redactUrl("http://token@proxy.corp:3128/")).toBe("http://***@proxy.corp:3128/");
    expect(redactUrl("http://proxy.corp:3128")).toBe("http://proxy.corp:3128");
    expect(redactUrl("not a url with secret")).toBe("(unparsable URL)");
    expect(apiTransport({ proxy: "http://u:secret@p:3128" }).describe()).toBe("http://***:***@p:3128");
    expect(apiTransport({}).describe()).toBeUndefined();
  });

  it("noProxy: host and its subdomains, .domain, host:port, *", () => {
    const proxy = "http://proxy.corp:3128";
    const through = (url: string, noProxy: string[]) => usesProxy(url, { proxy, noProxy });
    expect(usesProxy("https://ferry.example.com", {})).toBe(false);
    expect(through("https://ferry.example.com:4000", [])).toBe(true);
    expect(through("https://ferry.example.com:4000", ["example.com"])).toBe(false);
    expect(through("https://ferry.example.com:4000", [".example.com"])).toBe(false);
    expect(through("https://notexample.com:4000", ["example.com"])).toBe(true);
    expect(through("https://ferry.example.com:4000", ["ferry.example.com:4000"])).toBe(false);
    expect(through("https://ferry.example.com", ["ferry.example.com:4000"])).toBe(true);
    expect(through("https://ferry.example.com", ["ferry.example.com:443"])).toBe(false);
    expect(through("http://127.0.0.1:4000", ["*"])).toBe(false);
    expect(through("http://[::1]:4000", ["[::1]:4000"])).toBe(false);
    expect(through("http://127.0.0.1:4000", ["localhost"])).toBe(true);
  });

  it("tunnels the WebSocket only for proxied hosts", () => {
    const transport = apiTransport({ proxy: "http://p:3128", noProxy: ["direct.example"] });
    expect(transport.wsAgent("ws://direct.example:4000/graphql")).toBeUndefined();
    expect(transport.wsAgent("wss://ferry.example:4000/graphql")).toBeDefined();
  });

  it("names the proxy's refusal, not undici's wrapping", () => {
    const wrapped = (inner: Error) =>
      new TypeError("fetch failed", { cause: new Error("Request was cancelled.", { cause: inner }) });
    expect(describeCause(wrapped(new Error("Proxy response (403) !== 200 when HTTP Tunneling")))).toBe(
      "the proxy refused the tunnel (HTTP 403)",
    );
    expect(describeCause(wrapped(new Error("Proxy response (407) !== 200 when HTTP Tunneling")))).toContain(
      "HTTP 407 Proxy Authentication Required",
    );
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(describeCause(new TypeError("fetch failed", { cause: refused }))).toBe(
      "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1",
    );
  });
});
