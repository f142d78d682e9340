// The agent's one connection to the API: a graphql-ws client that dials out, authenticates in
// connection_init, reconnects forever with jittered exponential backoff, and re-subscribes.
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { type AgentCommand, COMMANDS } from "./documents.ts";

export interface LinkOptions {
  /** One or more API replicas; each (re)connect attempt takes the next, so a dead replica is skipped. */
  apiUrls: string[];
  credential: string;
  /** Called after every (re)connect, e.g. to report inventory. */
  onConnected: () => void;
  onCommand: (command: AgentCommand) => void;
  /** The API refused the credential (revoked): the agent cannot continue. */
  onFatal: (reason: string) => void;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /** Upper bound of the reconnect delay (default 30 s). */
  maxBackoffMs?: number;
}

export interface Link {
  request<T>(query: string, variables: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export class RequestError extends Error {
  override readonly name = "RequestError";
}

/** Delay before reconnect attempt `retries`: 0.5 s doubling to the cap, ±50 % jitter so a fleet does not reconnect in step. */
export function backoffMs(retries: number, capMs = 30_000): number {
  const base = Math.min(capMs, 500 * 2 ** Math.min(retries, 16));
  return Math.round(base * (0.5 + Math.random()));
}

export function wsUrl(apiUrl: string): string {
  const url = new URL("/graphql", apiUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

export function openLink(options: LinkOptions): Link {
  let closed = false;
  let attempt = 0;
  const client: Client = createClient({
    url: () => wsUrl(options.apiUrls[attempt++ % options.apiUrls.length]!),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${options.credential}` },
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: (event) => {
      const code = (event as { code?: number } | null)?.code;
      if (code === 4401 || code === 4403) {
        options.onFatal(`the API refused this agent's credential (close ${code})`);
        return false;
      }
      return !closed;
    },
    retryWait: (retries) =>
      new Promise((resolve) => setTimeout(resolve, backoffMs(retries, options.maxBackoffMs))),
    on: {
      connected: () => {
        options.log("connected");
        options.onConnected();
      },
      closed: (event) => {
        if (!closed) options.log("disconnected", { code: (event as { code?: number }).code });
      },
    },
  });

  const subscribeCommands = () => {
    client.subscribe<{ agentCommands: AgentCommand }>(
      { query: COMMANDS },
      {
        next: (result) => {
          if (result.data?.agentCommands) options.onCommand(result.data.agentCommands);
          if (result.errors?.length) options.log("command subscription error", { errors: result.errors });
        },
        // The server ends the stream when it drops this agent; subscribe again unless closing.
        error: (error) => {
          if (!closed) {
            options.log("command subscription failed", { error: String((error as Error)?.message ?? error) });
            setTimeout(subscribeCommands, backoffMs(1, options.maxBackoffMs));
          }
        },
        complete: () => {
          if (!closed) setTimeout(subscribeCommands, backoffMs(1, options.maxBackoffMs));
        },
      },
    );
  };
  subscribeCommands();

  return {
    request<T>(query: string, variables: Record<string, unknown>) {
      return new Promise<T>((resolve, reject) => {
        let data: T | null = null;
        client.subscribe<T>(
          { query, variables },
          {
            next: (result) => {
              if (result.errors?.length)
                reject(new RequestError(result.errors.map((e) => e.message).join("; ")));
              else data = result.data as T;
            },
            error: (error) => reject(error instanceof Error ? error : new RequestError(String(error))),
            complete: () => (data ? resolve(data) : reject(new RequestError("no data"))),
          },
        );
      });
    },
    async close() {
      closed = true;
      await client.dispose();
    },
  };
}
