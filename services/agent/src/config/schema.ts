// ferry-agent.json: the agent's configuration file. This zod schema is the one source of truth; the
// JSON schema shipped next to it (ferry-agent.schema.json, `npm run config-schema -w @ferry/agent`) is
// generated from it. Command-line flags override every field.
import { z } from "zod";

const apiUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/]+/, "must be an http:// or https:// URL")
  .describe("Base URL of one Ferry API replica, e.g. https://ferry.example:4000");

/** http(s)://[user:password@]host:port of a forward proxy (it must answer HTTP CONNECT). */
const proxyUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "must be an http:// or https:// proxy URL, e.g. http://proxy.corp:3128 (credentials: http://user:password@proxy.corp:3128)")
  .describe(
    "HTTP(S) forward proxy for every connection to the API (enrollment, the WebSocket link, doctor), e.g. http://proxy.corp:3128; credentials in the URL (http://user:password@proxy.corp:3128) are sent as Proxy-Authorization and never logged. Flag: --proxy.",
  );

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

export const agentConfigSchema = z
  .object({
    $schema: z.string().optional().describe("Path or URL of this JSON schema (for editors)."),
    apiUrls: z
      .array(apiUrl)
      .min(1, "must list at least one API URL")
      .describe("The Ferry API, or several replicas: the agent fails over between them. Flag: --api."),
    enrollmentToken: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Single-use token from createAgentEnrollment, used on the first start only (no credential yet). Flag: --enrollment-token.",
      ),
    stateDir: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Credential, command journal and log files. Default: %ProgramData%\\Ferry on Windows, ./.ferry-agent elsewhere. Flag: --state-dir.",
      ),
    logLevel: z
      .enum(LOG_LEVELS)
      .optional()
      .describe("Least severe level written (default info). Flag: --log-level."),
    inventoryIntervalSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe(
        "Seconds between periodic full inventory reads (default 60; 5 with the simulator). Periodic reads wait while migration jobs are polled; Hyper-V events, the agent's own changes and every reconnect report at once. Flag: --inventory-interval.",
      ),
    powershell: z
      .string()
      .min(1)
      .optional()
      .describe(
        "PowerShell executable. Default: powershell.exe (Windows PowerShell 5.1) on Windows, pwsh elsewhere. Flag: --pwsh.",
      ),
    psModule: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Extra module imported at session start in place of Hyper-V's (tests: the stub). Flag: --ps-module.",
      ),
    proxy: proxyUrl.optional(),
    noProxy: z
      .array(
        z
          .string()
          .min(1)
          .regex(/^[^\s/,]+$/, "must be a host name, .domain, host:port or *"),
      )
      .optional()
      .describe(
        "API hosts reached directly, not through the proxy: a host name (also matches its subdomains), .domain, host:port, or * for all. Flag: --no-proxy (comma-separated).",
      ),
    backend: z
      .enum(["powershell", "simulator"])
      .optional()
      .describe("powershell on a Hyper-V host (default); simulator for demos. Flag: --backend."),
  })
  .strict();

export type AgentConfigFile = z.infer<typeof agentConfigSchema>;

/** The JSON schema of ferry-agent.json, as shipped in the package and documented. */
export function agentConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(agentConfigSchema, { io: "input" }),
    title: "ferry-agent.json",
    description:
      "Configuration of the Ferry agent on a Hyper-V host. Command-line flags override each field.",
  };
}
