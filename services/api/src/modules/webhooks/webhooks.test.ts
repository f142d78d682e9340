import { createHmac, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkTarget, isPrivateAddress, urlProblem } from "./address.ts";
import { signedRequest } from "./deliver.ts";
import { decryptSecret, encryptSecret, newWebhookSecret } from "./secret.ts";
import { nextAttemptDelay } from "./worker.ts";

describe("webhook targets", () => {
  it("refuses private, loopback, link-local and mapped addresses; allows public ones", () => {
    for (const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "0.0.0.0",
      "100.64.0.1",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::",
    ]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it("checks what a name resolves to, not only the literal", async () => {
    await expect(checkTarget("http://localhost:9/x", false)).rejects.toThrow(
      /private, loopback or link-local/,
    );
    await expect(checkTarget("http://[::1]:9/x", false)).rejects.toThrow(/private/);
    await expect(checkTarget("http://169.254.169.254/latest", false)).rejects.toThrow(/private/);
    await expect(checkTarget("http://localhost:9/x", true)).resolves.toBeUndefined();
  });

  it("accepts only http(s) URLs without credentials", () => {
    expect(urlProblem("ftp://example.com/")).toMatch(/http/);
    expect(urlProblem("https://u:p@example.com/")).toMatch(/credentials/);
    expect(urlProblem("not a url")).toMatch(/valid/);
    expect(urlProblem("https://example.com/hook")).toBeNull();
  });
});

describe("webhook secrets and signatures", () => {
  it("encrypts the secret at rest and decrypts it only with the same key", () => {
    const key = randomBytes(32);
    const secret = newWebhookSecret();
    const stored = encryptSecret(key, secret);
    expect(stored).not.toContain(secret);
    expect(decryptSecret(key, stored)).toBe(secret);
    expect(() => decryptSecret(randomBytes(32), stored)).toThrow();
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
    const req = signedRequest("whsec_test", '{"a":1}', 1_700_000_000_500);
    expect(req.headers["x-ferry-timestamp"]).toBe("1700000000");
    const hex = createHmac("sha256", "whsec_test").update('1700000000.{"a":1}').digest("hex");
    expect(req.headers["x-ferry-signature"]).toBe(`sha256=${hex}`);
  });

  it("backs off exponentially, capped at one hour", () => {
    expect([1, 2, 3, 4].map((a) => nextAttemptDelay(a, 10_000))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(nextAttemptDelay(40, 10_000)).toBe(3_600_000);
  });
});
