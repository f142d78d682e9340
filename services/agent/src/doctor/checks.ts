// `ferry-agent doctor`: the checks an admin makes before enrolling a host, each PASS / WARN / FAIL with a
// remedy. Pure judgement of facts gathered by probes.ts (PowerShell, the API's answer, the state folder).

export type Outcome = "PASS" | "WARN" | "FAIL";

export interface CheckResult {
  name: string;
  outcome: Outcome;
  detail: string;
  remedy?: string;
}

/** What doctor.ps1 reports (null: PowerShell did not run). */
export interface PowerShellFacts {
  psVersion: string;
  edition: string;
  languageMode: string;
  windows: boolean;
  module: string | null;
  moduleError: string | null;
  getVm: boolean;
  vmms: string | null;
  admin: boolean | null;
  stateDirSids: string[] | null;
}

export interface ApiFacts {
  url: string;
  /** HTTP status, or null when no answer. */
  status: number | null;
  /** The error's code (e.g. SELF_SIGNED_CERT_IN_CHAIN) and message when there was no answer. */
  errorCode?: string;
  errorMessage?: string;
  /** API clock minus ours, from its Date header (ms). */
  skewMs?: number;
}

/** The forward proxy in use (doctor tests the API through it). */
export interface ProxyFacts {
  /** The proxy URL with credentials redacted. */
  proxy: string;
  /** False when the API host is listed in noProxy (reached directly). */
  usedForApi: boolean;
}

export interface StateDirFacts {
  path: string;
  exists: boolean;
  writable: boolean;
  /** POSIX permission bits (elsewhere than Windows). */
  mode?: number;
}

export const MIN_NODE = "20.19";
export const SYSTEM_SID = "S-1-5-18";
export const ADMINISTRATORS_SID = "S-1-5-32-544";

const TLS_TRUST_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function atLeast(version: string, minimum: string): boolean {
  const a = version.replace(/^v/, "").split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

export function checkNode(version: string): CheckResult {
  return atLeast(version, MIN_NODE)
    ? { name: "Node.js", outcome: "PASS", detail: `${version} (${MIN_NODE} or later required)` }
    : {
        name: "Node.js",
        outcome: "FAIL",
        detail: `${version} is older than ${MIN_NODE}`,
        remedy: `install Node.js ${MIN_NODE} or later (an LTS release; see the package README for offline hosts)`,
      };
}

export function checkPowerShell(
  executable: string,
  facts: PowerShellFacts | null,
  error?: string,
): CheckResult {
  const name = "PowerShell";
  if (!facts) {
    return {
      name,
      outcome: "FAIL",
      detail: `${executable} did not run: ${error ?? "no result"}`,
      remedy:
        'install Windows PowerShell 5.1 (WMF 5.1) or point --pwsh / "powershell" in ferry-agent.json at PowerShell',
    };
  }
  const detail = `${facts.psVersion} ${facts.edition} (${executable}), ${facts.languageMode}`;
  if (!atLeast(facts.psVersion, "5.1")) {
    return { name, outcome: "FAIL", detail, remedy: "install Windows Management Framework 5.1" };
  }
  if (facts.languageMode !== "FullLanguage") {
    return {
      name,
      outcome: "FAIL",
      detail,
      remedy:
        "the agent's scripts need FullLanguage: allow the agent's ps folder in the AppLocker / WDAC policy that enforces Constrained Language Mode",
    };
  }
  return { name, outcome: "PASS", detail };
}

export function checkHyperVModule(facts: PowerShellFacts | null): CheckResult {
  const name = "Hyper-V module";
  if (!facts)
    return {
      name,
      outcome: "FAIL",
      detail: "not checked: PowerShell did not run",
      remedy: "fix PowerShell first",
    };
  if (facts.module && facts.getVm)
    return { name, outcome: "PASS", detail: `${facts.module} loaded, Get-VM available` };
  return {
    name,
    outcome: "FAIL",
    detail: facts.moduleError ?? "Get-VM is not available",
    remedy:
      "Install-WindowsFeature -Name Hyper-V-PowerShell (with the Hyper-V role: Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart)",
  };
}

export function checkVmms(facts: PowerShellFacts | null): CheckResult {
  const name = "vmms service";
  if (!facts || facts.vmms === null) {
    return {
      name,
      outcome: "WARN",
      detail: facts
        ? "not a Windows host: the Hyper-V Virtual Machine Management service cannot be checked"
        : "not checked",
    };
  }
  if (facts.vmms === "Running")
    return { name, outcome: "PASS", detail: "Hyper-V Virtual Machine Management is running" };
  if (facts.vmms === "MISSING") {
    return {
      name,
      outcome: "FAIL",
      detail: "no vmms service: the Hyper-V role is not installed",
      remedy: "Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart",
    };
  }
  return {
    name,
    outcome: "FAIL",
    detail: `vmms is ${facts.vmms}`,
    remedy: "Set-Service vmms -StartupType Automatic; Start-Service vmms",
  };
}

export function checkAdmin(facts: PowerShellFacts | null, uid: number | undefined): CheckResult {
  const name = "Administrator";
  if (facts?.admin === true)
    return { name, outcome: "PASS", detail: "running elevated (the service runs as LocalSystem)" };
  if (facts?.admin === false) {
    return {
      name,
      outcome: "FAIL",
      detail: "not elevated: Hyper-V cmdlets and the service install need administrator rights",
      remedy: "run from an elevated prompt (Run as Administrator)",
    };
  }
  if (uid === 0) return { name, outcome: "PASS", detail: "root (not a Windows host)" };
  return {
    name,
    outcome: "WARN",
    detail: "not a Windows host and not root: administrator rights not checked",
  };
}

export function checkApi(api: ApiFacts | null): CheckResult {
  const name = "API over TLS";
  if (!api) {
    return {
      name,
      outcome: "WARN",
      detail: "no API URL configured",
      remedy: "pass --api <url> or set apiUrls in ferry-agent.json",
    };
  }
  const tls = api.url.startsWith("https:");
  if (api.status === null) {
    if (api.errorCode && TLS_TRUST_ERRORS.has(api.errorCode)) {
      return {
        name,
        outcome: "FAIL",
        detail: `${api.url}: certificate not trusted (${api.errorCode})`,
        remedy:
          "give Node.js the issuing CA: set NODE_EXTRA_CA_CERTS=<ca.pem> for the agent (the service: in its environment), or use a certificate from a CA Node.js trusts; check that the URL's host name is in the certificate",
      };
    }
    return {
      name,
      outcome: "FAIL",
      detail: `${api.url}: unreachable (${api.errorCode ?? ""}${api.errorCode ? ": " : ""}${api.errorMessage ?? "no answer"})`,
      remedy:
        "check the URL, DNS, the firewall (outbound to the API port) and any proxy between this host and the API",
    };
  }
  if (api.status >= 400) {
    return {
      name,
      outcome: "WARN",
      detail: `${api.url} answered HTTP ${api.status} (not ready?)`,
      remedy: "check the API's /readyz",
    };
  }
  if (!tls) {
    return {
      name,
      outcome: "WARN",
      detail: `${api.url} reachable over plain HTTP: the credential would travel unencrypted`,
      remedy: "serve the API over https:// in production",
    };
  }
  return { name, outcome: "PASS", detail: `${api.url} reachable, certificate trusted` };
}

/** Only when a proxy is configured: whether the API answered through it. */
export function checkProxy(proxy: ProxyFacts, api: ApiFacts | null): CheckResult {
  const name = "Proxy";
  if (!api) return { name, outcome: "WARN", detail: `${proxy.proxy}: not tested (no API URL configured)` };
  if (!proxy.usedForApi)
    return { name, outcome: "PASS", detail: `${proxy.proxy} configured; ${api.url} is in noProxy (direct)` };
  if (api.status === null) {
    return {
      name,
      outcome: "FAIL",
      detail: `${api.url} not reached through proxy ${proxy.proxy} (${api.errorMessage ?? "no answer"})`,
      remedy:
        "check the proxy URL and its credentials (HTTP 407: user:password@ in the URL), that the proxy allows CONNECT to the API's port, or list the API host in noProxy",
    };
  }
  return { name, outcome: "PASS", detail: `${api.url} reached through proxy ${proxy.proxy}` };
}

export function checkClock(api: ApiFacts | null): CheckResult {
  const name = "Clock skew";
  if (!api || api.skewMs === undefined)
    return { name, outcome: "WARN", detail: "not checked: no answer from the API" };
  const seconds = Math.round(api.skewMs / 1000);
  const detail = `${seconds >= 0 ? "+" : ""}${seconds} s against the API`;
  const remedy = "w32tm /resync (and check the host's time source: w32tm /query /source)";
  // The Date header has a resolution of 1 s.
  if (Math.abs(api.skewMs) <= 5_000) return { name, outcome: "PASS", detail };
  if (Math.abs(api.skewMs) <= 60_000) return { name, outcome: "WARN", detail, remedy };
  return { name, outcome: "FAIL", detail, remedy };
}

export function checkStateDir(dir: StateDirFacts, facts: PowerShellFacts | null): CheckResult {
  const name = "State folder";
  if (!dir.exists) {
    return {
      name,
      outcome: "WARN",
      detail: `${dir.path} does not exist yet (created on first start)`,
      remedy: "ferry-agent service install creates it readable only by SYSTEM and Administrators",
    };
  }
  if (!dir.writable) {
    return {
      name,
      outcome: "FAIL",
      detail: `${dir.path} is not writable`,
      remedy: "run as Administrator / the service account",
    };
  }
  if (facts?.stateDirSids) {
    const others = facts.stateDirSids.filter((s) => s !== SYSTEM_SID && s !== ADMINISTRATORS_SID);
    if (others.length) {
      return {
        name,
        outcome: "FAIL",
        detail: `${dir.path} is also accessible to ${others.join(", ")}: the credential must be readable only by SYSTEM and Administrators`,
        remedy: `icacls "${dir.path}" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F (ferry-agent service install does this)`,
      };
    }
    return { name, outcome: "PASS", detail: `${dir.path}: SYSTEM and Administrators only` };
  }
  if (dir.mode !== undefined && (dir.mode & 0o077) !== 0) {
    return {
      name,
      outcome: "WARN",
      detail: `${dir.path} is accessible to other users (mode ${(dir.mode & 0o777).toString(8)})`,
      remedy: `chmod 700 ${dir.path}`,
    };
  }
  return { name, outcome: "PASS", detail: `${dir.path} writable, private` };
}

export function formatResults(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.flatMap((r) => [
    `${r.outcome}  ${r.name.padEnd(width)}  ${r.detail}`,
    ...(r.remedy && r.outcome !== "PASS" ? [`${" ".repeat(6 + width)}remedy: ${r.remedy}`] : []),
  ]);
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  lines.push(`doctor: ${count("PASS")} PASS, ${count("WARN")} WARN, ${count("FAIL")} FAIL`);
  return lines.join("\n");
}
