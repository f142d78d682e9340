// One agent: enrolls once, then holds the link to the API, reports its host's inventory on every
// connect and whenever it changes, and runs the commands it receives. Factory with start/stop.
import {
  ClaimMigrationDocument,
  CommandResultDocument,
  JobUpdateDocument,
  ReportInventoryDocument,
} from "@ferry/protocol";
import type { HyperVBackend } from "./backends/types.ts";
import { createEventPump, type EventPump } from "./events/pump.ts";
import { createInventoryReporter } from "./inventory/reporter.ts";
import { createJobTracker } from "./jobs/tracker.ts";
import { enrollAny } from "./link/enroll.ts";
import { accepted, type Link, openLink } from "./link/link.ts";
import { type ApiTransport, apiTransport } from "./link/proxy.ts";
import { createHandlers } from "./runner/handlers/index.ts";
import { createRunner } from "./runner/runner.ts";
import { StateStore } from "./state/store.ts";

/** The package's version: set by the bundler (scripts/package.ts) from package.json; "0.1.0" from source. */
export const AGENT_VERSION: string = process.env.FERRY_AGENT_BUILD_VERSION ?? "0.1.0";

export interface AgentOptions {
  /** The API's base URL, or several (replicas): the agent fails over between them. */
  apiUrl: string | string[];
  stateDir: string;
  backend: HyperVBackend;
  /** Needed only the first time, before a credential is stored. */
  enrollmentToken?: string;
  /** How often to read the inventory for changes (default 5 s; the command line's default is 60 s). */
  inventoryIntervalMs?: number;
  /** How often to look for new Hyper-V events (default 2 s). */
  eventIntervalMs?: number;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
  onFatal?: (reason: string) => void;
  /** How the API is reached: directly (default) or through a forward proxy (apiTransport). */
  transport?: ApiTransport;
  /** Upper bound of the jittered reconnect delay (default 30 s; tests lower it so agents return promptly). */
  maxReconnectDelayMs?: number;
}

export interface Agent {
  hostName: string;
  start(): Promise<void>;
  /** Reports the inventory now if it changed since the last acknowledged report. */
  reportInventory(force?: boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function createAgent(options: AgentOptions): Promise<Agent> {
  const store = new StateStore(options.stateDir);
  const apiUrls = Array.isArray(options.apiUrl) ? options.apiUrl : [options.apiUrl];
  const transport = options.transport ?? apiTransport({});
  const log =
    options.log ??
    ((msg, extra) => console.log(JSON.stringify({ time: new Date().toISOString(), msg, ...extra })));
  const inventory = await options.backend.getInventory();
  const hostName = inventory.host.name;
  let link: Link | null = null;
  let timer: NodeJS.Timeout | null = null;
  let events: EventPump | null = null;

  async function ensureCredential() {
    const saved = store.credential();
    // The credential is the cluster's (one database), whichever replica URLs are configured.
    if (saved && saved.hostName === hostName) return saved;
    if (!options.enrollmentToken) {
      throw new Error(`no credential in ${options.stateDir}: pass --enrollment-token to enroll this agent`);
    }
    const { credential, hostId } = await enrollAny(
      apiUrls,
      options.enrollmentToken,
      hostName,
      transport.fetch,
    );
    const record = { apiUrl: apiUrls.join(","), hostName, hostId, secret: credential };
    store.saveCredential(record);
    log("enrolled", { hostName, hostId });
    return record;
  }

  const reporter = createInventoryReporter({
    getInventory: () => options.backend.getInventory(),
    log,
    busy: () => jobs.following() > 0,
    send: async (wire) => {
      if (!link) throw new Error("not connected");
      const result = await link.request(ReportInventoryDocument, {
        input: { inventory: wire, agentVersion: AGENT_VERSION, backend: options.backend.kind },
      });
      // Remembered only when the API accepted it: a refused report is sent again next time, and so is
      // one with VMs another host still holds (e.g. this host received a VM whose move is not recorded yet).
      const payload = accepted("agentReportInventory", result.agentReportInventory);
      if (payload.conflictingVmIds?.length) {
        log("inventory lists VMs the API records on another host", { vmIds: payload.conflictingVmIds });
        return false;
      }
      return true;
    },
  });
  const reportInventory = (force = false) => (link ? reporter.report(force) : Promise.resolve());

  const jobs = createJobTracker({
    backend: options.backend,
    store,
    log,
    report: async (report) => {
      if (!link) throw new Error("not connected");
      const result = await link.request(JobUpdateDocument, { input: report });
      accepted("agentJobUpdate", result.agentJobUpdate);
    },
    onEnded: () => void reportInventory(true),
  });

  const runner = createRunner({
    backend: options.backend,
    store,
    log,
    handlers: createHandlers({
      backend: options.backend,
      store,
      log,
      jobs,
      reportInventory: () => reportInventory(true),
      claimMove: async (migrationId) => {
        if (!link) throw new Error("not connected");
        const result = await link.request(ClaimMigrationDocument, { input: { migrationId } });
        const payload = accepted("agentClaimMigration", result.agentClaimMigration);
        return { claimed: payload.claimed === true, state: payload.state };
      },
    }),
    // A START_MOVE this agent wrote ahead is resumed (adopted), whatever its deadline.
    resumes: (command) => command.type === "START_MOVE" && !!jobs.get(command.payload.migrationId),
    answer: async (entry) => {
      if (!link) throw new Error("not connected");
      const result = await link.request(CommandResultDocument, {
        input: {
          commandId: entry.commandId,
          succeeded: entry.succeeded,
          result: entry.result,
          errorCode: entry.errorCode,
          errorMessage: entry.errorMessage,
        },
      });
      // Refused (e.g. not this host's command): stays unacknowledged, answered again on redelivery.
      accepted("agentCommandResult", result.agentCommandResult);
    },
  });

  return {
    hostName,
    async start() {
      const credential = await ensureCredential();
      link = openLink({
        apiUrls,
        credential: credential.secret,
        transport,
        log,
        maxBackoffMs: options.maxReconnectDelayMs,
        onConnected: () => {
          void reportInventory(true);
          events?.reset();
        },
        onCommand: (command) => void runner.handle(command),
        onFatal: (reason) => {
          log("fatal", { reason });
          options.onFatal?.(reason);
        },
      });
      log("started", {
        hostName,
        version: AGENT_VERSION,
        backend: options.backend.kind,
        api: apiUrls.join(","),
        ...(transport.describe() ? { proxy: transport.describe() } : {}),
        stateDir: options.stateDir,
      });
      timer = setInterval(() => void reportInventory(), options.inventoryIntervalMs ?? 5000);
      jobs.resume();
      const activeLink = link;
      events = createEventPump({
        backend: options.backend,
        request: (document, variables) => activeLink.request(document, variables),
        intervalMs: options.eventIntervalMs,
        log,
        // Hyper-V logged something (a VM started, stopped, was changed): read the inventory now.
        onEvents: () => void reportInventory(),
      });
    },
    reportInventory,
    async stop() {
      if (timer) clearInterval(timer);
      jobs.stop();
      await events?.stop();
      events = null;
      await reporter.idle();
      await link?.close();
      link = null;
      // Commands still being handled write the journal: let them finish before the caller may
      // remove the state folder (their answers are sent again after the next connect).
      await runner.drain();
      await options.backend.close();
      log("stopped", { hostName });
    },
  };
}
