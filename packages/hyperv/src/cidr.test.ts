import { describe, expect, it } from "vitest";
import { subnetContains } from "./cidr.ts";

describe("subnetContains", () => {
  it.each([
    ["10.0.1.0/24", "10.0.1.17", true],
    ["10.0.1.0/24", "10.0.2.17", false],
    ["10.0.1.0/24", "10.0.1.17/24", true],
    ["0.0.0.0/0", "192.168.1.1", true],
    ["192.168.0.0/16", "192.168.250.3", true],
    ["fd00:1::/64", "fd00:1::abcd", true],
    ["fd00:1::/64", "FD00:0001:0000:0000:0000:0000:0000:0009", true],
    ["fd00:1::/64", "fd00:2::1", false],
    ["fe80::/64", "fe80::1%12", true],
    ["::ffff:10.0.0.0/120", "::ffff:10.0.0.9", true],
    ["10.0.1.0/24", "fd00:1::1", false],
    ["fd00:1::/64", "10.0.1.1", false],
    ["10.0.1.0/33", "10.0.1.1", false],
    ["not a subnet", "10.0.1.1", false],
    ["10.0.1.0/24", "10.0.1.256", false],
  ])("%s holds %s: %s", (subnet, ip, expected) => {
    expect(subnetContains(subnet, ip)).toBe(expected);
  });
});
