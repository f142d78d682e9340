import { describe, expect, it } from "vitest";
import { ValidationError } from "../shared/errors.ts";
import { canonicalSubnet, checkLimit, checkPriority, parseCidr, subnetContains } from "./validation.ts";

describe("parseCidr", () => {
  it.each([
    ["10.0.1.0/24", "10.0.1.0/24"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["192.168.7.9/32", "192.168.7.9/32"],
    ["fd00::/64", "fd00::/64"],
    ["FD00:0000:0000:0001::/64", "fd00:0:0:1::/64"],
    ["2001:db8:0:0:0:0:0:0/32", "2001:db8::/32"],
    ["::/0", "::/0"],
    ["2001:0:0:1:0:0:0:0/64", "2001:0:0:1::/64"],
    [" 10.0.0.0/8 ", "10.0.0.0/8"],
  ])("accepts %s as %s", (input, canonical) => {
    expect(parseCidr(input, "f").canonical).toBe(canonical);
  });

  it.each([
    "10.0.1.0",
    "10.0.1.0/",
    "10.0.1.0/33",
    "10.0.1.7/24",
    "010.0.1.0/24",
    "10.0.1/24",
    "256.0.0.0/8",
    "fd00::1::/64",
    "fd00::/129",
    "fd00::g/64",
    "1:2:3:4:5:6:7:8:9/64",
    "fd00::1/64",
    "10.0.0.0/8/8",
    "",
    "'; Remove-Item /",
  ])("refuses %j with a ValidationError on the field", (input) => {
    expect(() => parseCidr(input, "input.subnet")).toThrow(ValidationError);
    try {
      parseCidr(input, "input.subnet");
    } catch (error) {
      expect((error as ValidationError).field).toBe("input.subnet");
    }
  });

  it("suggests the network when host bits are set", () => {
    expect(() => parseCidr("10.0.1.7/24", "f")).toThrow(/did you mean 10\.0\.1\.0\/24/);
  });

  it("tests membership and canonical equality", () => {
    const net = parseCidr("10.0.1.0/24", "f");
    expect(subnetContains(net, "10.0.1.200")).toBe(true);
    expect(subnetContains(net, "10.0.2.1")).toBe(false);
    expect(subnetContains(parseCidr("fd00:1::/64", "f"), "fd00:1::5")).toBe(true);
    expect(canonicalSubnet("FD00:1:0::/64")).toBe(canonicalSubnet("fd00:1::/64"));
  });

  it("bounds priorities and limits", () => {
    expect(checkPriority(null, "p")).toBeNull();
    expect(checkPriority(0, "p")).toBe(0);
    expect(() => checkPriority(-1, "p")).toThrow(ValidationError);
    expect(checkLimit(undefined, "l")).toBeUndefined();
    expect(checkLimit(4096, "l")).toBe(4096);
    expect(() => checkLimit(0, "l")).toThrow(ValidationError);
    expect(() => checkLimit(4097, "l")).toThrow(ValidationError);
  });
});
