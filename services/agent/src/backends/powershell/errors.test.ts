import { describe, expect, it } from "vitest";
import { classifyPowerShellError, toErrorInfo } from "./errors.ts";

describe("classifyPowerShellError", () => {
  it.each([
    [
      "The virtual machine cannot be moved because virtual machine migration is not enabled",
      "MIGRATION_DISABLED",
    ],
    [
      "Failed to establish a connection with host HV2: No credentials are available in the security package (0x8009030E).",
      "AUTHENTICATION_FAILED",
    ],
    [
      'Virtual machine "web" is using processor-specific features not supported on host "HV3".',
      "PROCESSOR_INCOMPATIBLE",
    ],
    ["Could not find Ethernet switch 'Production'.", "SWITCH_NOT_FOUND"],
    [
      "Failed to create partition: Insufficient system resources exist to complete the requested service. (0x800705AA)",
      "INSUFFICIENT_MEMORY",
    ],
    ["Failed to establish a connection with host HV2: (0x8007274D).", "NETWORK_REFUSED"],
    ["Failed to establish a connection with host HV2: (0x8007274C).", "NETWORK_TIMEOUT"],
    ["The connection was lost (0x80072746).", "NETWORK_RESET"],
    ["Failed to establish a connection with host HV2: (0x8007271D).", "NETWORK_ACCESS_DENIED"],
    [
      "'web' failed to register the configuration at 'D:\\x': The system cannot find the path specified. (0x80070003)",
      "PATH_NOT_FOUND",
    ],
    [
      `Virtual machine migration operation for 'web' failed at migration source 'HV1'. (Virtual machine ID 1) The virtual machine migration operation failed because virtual machine migration limit "2" was reached, please wait for completion of an ongoing migration operation.`,
      "MIGRATION_LIMIT_REACHED",
    ],
    ['Hyper-V was unable to find a virtual machine with ID "x".', "VM_NOT_FOUND"],
    ["The operation cannot be performed while the object is in its current state.", "INVALID_VM_STATE"],
    [
      "Failed to establish a connection with host x: No such host is known. (0x80072AF9).",
      "INVALID_PARAMETER",
    ],
    ["Something nobody has seen before.", "UNKNOWN"],
  ])("%s → %s", (message, code) => {
    expect(classifyPowerShellError({ message })).toBe(code);
  });

  it("prefers the exception's HRESULT over words in the message (which quote user data)", () => {
    const message = "Virtual machine \"could not find ethernet switch 'x'\" failed.";
    expect(classifyPowerShellError({ message, hresults: [0x8009030e | 0] })).toBe("AUTHENTICATION_FAILED");
    expect(classifyPowerShellError({ message, hresults: [-2147024809] })).toBe("INVALID_PARAMETER");
  });

  it("keeps a code the script chose and ignores unknown ones", () => {
    expect(classifyPowerShellError({ code: "NETWORK_EXISTS", message: "x" })).toBe("NETWORK_EXISTS");
    expect(classifyPowerShellError({ code: "DROP TABLE", message: "x" })).toBe("UNKNOWN");
  });

  it("classifies by error id and category when the message says nothing", () => {
    expect(classifyPowerShellError({ errorId: "ParameterArgumentValidationError,Set-VMHost" })).toBe(
      "INVALID_PARAMETER",
    );
    expect(classifyPowerShellError({ errorId: "InvalidParameter,Get-VM", category: "ObjectNotFound" })).toBe(
      "VM_NOT_FOUND",
    );
    expect(classifyPowerShellError({ errorId: "CommandNotFoundException" })).toBe("BACKEND_UNAVAILABLE");
  });
});

describe("toErrorInfo", () => {
  it("adds the VMMS event id and a one-line message", () => {
    expect(toErrorInfo({ message: "Could not find Ethernet switch 'Lab'.\r\n\r\n  more" })).toEqual({
      code: "SWITCH_NOT_FOUND",
      message: "Could not find Ethernet switch 'Lab'. more",
      eventId: 21125,
    });
    expect(toErrorInfo({ message: 'migration limit "2" was reached' }).eventId).toBe(21501);
  });

  it("never passes PowerShell's own text on for a backend failure", () => {
    const info = toErrorInfo({
      errorId: "CommandNotFoundException,Move-VM",
      message: "The term 'Move-VM' is not recognized ... At line:1 char:1",
    });
    expect(info).toEqual({
      code: "BACKEND_UNAVAILABLE",
      message: "The PowerShell backend could not run the operation (CommandNotFoundException).",
      eventId: null,
    });
  });
});
