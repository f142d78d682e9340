// Hyper-V failures as PowerShell reports them (exception message, HRESULT, FullyQualifiedErrorId) →
// the typed codes both backends share. Facts: docs/hyperv.md "Failures and diagnosis".
import { HYPERV_ERROR_CODES } from "@ferry/protocol";
import { HyperVError, type HyperVErrorCode, type HyperVErrorInfo } from "../types.ts";

/** What a script's error envelope carries (services/agent/ps/_common.ps1, Write-FerryError). */
export interface RawPowerShellError {
  /** Set when the script classified the failure itself (VM_NOT_FOUND, NETWORK_EXISTS ...). */
  code?: string | null;
  message?: string | null;
  /** HRESULTs of the exception and its inner exceptions (signed 32-bit, as .NET has them). */
  hresults?: number[] | number | null;
  errorId?: string | null;
  category?: string | null;
  exceptionType?: string | null;
}

/** The protocol's list (@ferry/protocol HYPERV_ERROR_CODES): one list, both backends and the API. */
const CODES: ReadonlySet<string> = new Set<HyperVErrorCode>(HYPERV_ERROR_CODES);

export function isHyperVErrorCode(value: unknown): value is HyperVErrorCode {
  return typeof value === "string" && CODES.has(value);
}

/** HRESULTs (as unsigned hex) that identify a failure on their own. */
const BY_HRESULT: ReadonlyMap<number, HyperVErrorCode> = new Map([
  [0x8009030e, "AUTHENTICATION_FAILED"],
  [0x8007274d, "NETWORK_REFUSED"],
  [0x80072741, "NETWORK_UNREACHABLE"],
  [0x8007274c, "NETWORK_TIMEOUT"],
  [0x80072746, "NETWORK_RESET"],
  [0x8007271d, "NETWORK_ACCESS_DENIED"],
  [0x800705aa, "INSUFFICIENT_MEMORY"],
  [0x80070003, "PATH_NOT_FOUND"],
  [0x80070057, "INVALID_PARAMETER"],
]);

/** Message patterns, most specific first. */
const BY_MESSAGE: ReadonlyArray<readonly [RegExp, HyperVErrorCode]> = [
  [/migration limit "?\d*"? ?(was )?reached/i, "MIGRATION_LIMIT_REACHED"],
  [/migration is not enabled|migration.*\bnot enabled\b/i, "MIGRATION_DISABLED"],
  [/no credentials are available in the security package/i, "AUTHENTICATION_FAILED"],
  [/processor-specific features/i, "PROCESSOR_INCOMPATIBLE"],
  [/could not find ethernet switch/i, "SWITCH_NOT_FOUND"],
  [/insufficient system resources/i, "INSUFFICIENT_MEMORY"],
  [/actively refused/i, "NETWORK_REFUSED"],
  [/no migration network|requested address is not valid in its context/i, "NETWORK_UNREACHABLE"],
  [/did not properly respond after a period of time/i, "NETWORK_TIMEOUT"],
  [/forcibly closed by the remote host/i, "NETWORK_RESET"],
  [/access a socket in a way forbidden/i, "NETWORK_ACCESS_DENIED"],
  [/cannot find the path|path specified (does not|doesn't) exist/i, "PATH_NOT_FOUND"],
  [/unable to find a virtual machine|virtual machine .* (was )?not found/i, "VM_NOT_FOUND"],
  [/in its current state|invalid state for this operation/i, "INVALID_VM_STATE"],
  [/\bis clustered\b|move it through the cluster/i, "INVALID_VM_STATE"],
  [/configuration version .* does not support/i, "INVALID_VM_STATE"],
  [/no such host is known/i, "INVALID_PARAMETER"],
  [
    /the parameter is incorrect|cannot validate argument|cannot bind parameter|cannot convert value/i,
    "INVALID_PARAMETER",
  ],
];

/** Hyper-V-VMMS-Admin event logged with each failure (docs/hyperv.md): what a caller can look up. */
export function eventIdFor(code: HyperVErrorCode): number | null {
  switch (code) {
    case "MIGRATION_LIMIT_REACHED":
      return 21501;
    case "SWITCH_NOT_FOUND":
      return 21125;
    case "PATH_NOT_FOUND":
      return 20413;
    case "MIGRATION_DISABLED":
    case "NETWORK_UNREACHABLE":
    case "AUTHENTICATION_FAILED":
    case "PROCESSOR_INCOMPATIBLE":
    case "INSUFFICIENT_MEMORY":
    case "NETWORK_REFUSED":
    case "NETWORK_TIMEOUT":
    case "NETWORK_RESET":
    case "NETWORK_ACCESS_DENIED":
      return 21502;
    default:
      return null;
  }
}

function exceptionHresults(raw: RawPowerShellError): number[] {
  const values = Array.isArray(raw.hresults) ? raw.hresults : raw.hresults == null ? [] : [raw.hresults];
  return values.filter((v): v is number => typeof v === "number").map((v) => v >>> 0);
}

/** Hyper-V often only puts the HRESULT in the text: "... (0x8009030E)." */
function messageHresults(message: string): number[] {
  return [...message.matchAll(/\(0x([0-9a-f]{8})\)/gi)].map((m) => Number.parseInt(m[1]!, 16) >>> 0);
}

/** Collapses whitespace and bounds the length: a message for logs and API users, not a dump. */
export function cleanMessage(message: string | null | undefined, fallback: string): string {
  const text = (message ?? "").replace(/\s+/g, " ").trim();
  if (text === "") return fallback;
  return text.length > 1000 ? `${text.slice(0, 997)}...` : text;
}

/** The typed code for a failure PowerShell reported. */
export function classifyPowerShellError(raw: RawPowerShellError): HyperVErrorCode {
  if (isHyperVErrorCode(raw.code)) return raw.code;
  // The exception's own HRESULT first: messages quote VM and host names, which are user data.
  for (const hresult of exceptionHresults(raw)) {
    const code = BY_HRESULT.get(hresult);
    if (code) return code;
  }
  const message = raw.message ?? "";
  for (const [pattern, code] of BY_MESSAGE) {
    if (pattern.test(message)) return code;
  }
  for (const hresult of messageHresults(message)) {
    const code = BY_HRESULT.get(hresult);
    if (code) return code;
  }
  const errorId = raw.errorId ?? "";
  const category = raw.category ?? "";
  if (/^ObjectNotFound\b/i.test(category) && /GetVM|Get-VM/i.test(errorId)) return "VM_NOT_FOUND";
  if (
    /^(ParameterArgumentValidationError|ParameterArgumentTransformationError|InvalidParameter)\b/i.test(
      errorId,
    )
  ) {
    return "INVALID_PARAMETER";
  }
  if (/^InvalidArgument$/i.test(category)) return "INVALID_PARAMETER";
  if (/^CommandNotFoundException\b|^ParseException\b|^ParserError\b/i.test(errorId))
    return "BACKEND_UNAVAILABLE";
  return "UNKNOWN";
}

export function toErrorInfo(raw: RawPowerShellError): HyperVErrorInfo {
  const code = classifyPowerShellError(raw);
  let message = cleanMessage(raw.message, "Hyper-V reported a failure without a message.");
  if (code === "BACKEND_UNAVAILABLE") {
    // A missing cmdlet or a script that does not parse: say so without PowerShell's text.
    message = `The PowerShell backend could not run the operation (${cleanMessage(raw.errorId, "unknown error").split(",")[0]}).`;
  }
  return { code, message, eventId: eventIdFor(code) };
}

export function toHyperVError(raw: RawPowerShellError): HyperVError {
  const info = toErrorInfo(raw);
  return new HyperVError(info.code, info.message, info.eventId);
}
