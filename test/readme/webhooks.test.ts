// README "Webhooks": the signature verification snippet runs as written and accepts what Ferry sends
// (signedRequest is what the delivery worker sends), and refuses a changed body, a wrong secret and an
// old timestamp.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { signedRequest } from "@ferry/api/testing";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/processes.ts";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const section = /\n## Webhooks\n([\s\S]*?)(?=\n## )/.exec(README)?.[1] ?? "";
const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1];

type Verify = (secret: string, body: string, ts: string, sig: string, tolerance?: number) => boolean;

async function load(): Promise<Verify> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ferry-readme-")), "verify.mjs");
  fs.writeFileSync(file, snippet!);
  return ((await import(pathToFileURL(file).href)) as { verifyFerrySignature: Verify }).verifyFerrySignature;
}

describe("README Webhooks: signature verification snippet", () => {
  it("is there", () => {
    expect(snippet).toContain("verifyFerrySignature");
  });

  it("accepts Ferry's signature and refuses tampering, a wrong secret and a replayed old request", async () => {
    const verify = await load();
    const secret = "whsec_readme-test-secret";
    const body = JSON.stringify({
      id: "e1",
      type: "AGENT_LOST",
      time: new Date().toISOString(),
      data: { id: "h" },
    });
    const sent = signedRequest(secret, body);
    const ts = sent.headers["x-ferry-timestamp"];
    const sig = sent.headers["x-ferry-signature"];
    expect(verify(secret, body, ts, sig)).toBe(true);
    expect(verify(secret, body.replace("AGENT_LOST", "AGENT_CONNECTED"), ts, sig)).toBe(false);
    expect(verify("whsec_other", body, ts, sig)).toBe(false);
    const old = signedRequest(secret, body, Date.now() - 3_600_000);
    expect(verify(secret, body, old.headers["x-ferry-timestamp"], old.headers["x-ferry-signature"])).toBe(
      false,
    );
  });
});
