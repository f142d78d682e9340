// GraphiQL works offline (issue 10 item 5): its page loads scripts, styles and workers only from the
// API itself (inlined from the installed @graphql-yoga/render-graphiql), never from a CDN.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../helpers/api.ts";

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => api?.stop());

/** Every URL the browser would fetch for the page: <script src>, <link href>, CSS url(), ES module imports. */
function referencedUrls(page: string): string[] {
  // Tags inside inline scripts are code (template strings), not elements of the page.
  const html = page.replace(/(<script\b[^>]*>)[\s\S]*?(<\/script>)/gi, "$1$2");
  const urls: string[] = [];
  for (const m of html.matchAll(/<(?:script|img|iframe)\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi))
    urls.push(m[1]!);
  for (const m of html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi)) urls.push(m[1]!);
  for (const m of page.matchAll(/url\(\s*["']?(https?:\/\/[^"')]+)["']?\s*\)/gi)) urls.push(m[1]!);
  for (const m of page.matchAll(/\bimport\s*\(?\s*["'](https?:\/\/[^"']+)["']/gi)) urls.push(m[1]!);
  return urls;
}

describe("GraphiQL", () => {
  it("is served with no reference to another host, and every local reference is served", async () => {
    const response = await fetch(`${api.url}/graphql`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const html = await response.text();
    expect(html).toContain("graphiql");
    for (const cdn of ["unpkg.com", "jsdelivr", "cdnjs", "esm.sh", "skypack"]) {
      expect(html.includes(cdn), `the page loads from ${cdn}`).toBe(false);
    }
    const urls = referencedUrls(html);
    const external = urls.filter((u) => /^(https?:)?\/\//i.test(u));
    expect(external).toEqual([]);
    for (const u of urls.filter((u) => !u.startsWith("data:") && !u.startsWith("blob:"))) {
      const asset = await fetch(new URL(u, `${api.url}/graphql`));
      expect(asset.status, `${u} is not served`).toBe(200);
    }
  });
});
