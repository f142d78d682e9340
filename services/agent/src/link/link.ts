// The agent's one connection to the API: a graphql-ws client that dials out, authenticates in
// connection_init, reconnects forever with jittered exponential backoff, and re-subscribes.
import { CommandsDocument, type CommandsSubscription, type PayloadError } from "@ferry/protocol";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import type { ApiTransport } from "./proxy.ts";

export interface LinkOptions {
  /** One or more API replicas; each (re)connect attempt takes the next, so a dead replica is skipped. */
  apiUrls: string[];
  credential: string;
  /** Called after every (re)connect, e.g. to report inventory. */
  onConnected: () => void;
  /** A command as received; the runner validates it against the protocol schemas. */
  onCommand: (command: CommandsSubscription["agentCommands"]) => void;
  /** The API refused the credential (revoked): the agent cannot continue. */
  onFatal: (reason: string) => void;
  log: (msg: string, extra?: Record<string, unknown>) => void;
  /** Upper bound of the reconnect delay (default 30 s). */
  maxBackoffMs?: number;
  /**
   * How long a request (mutation) may wait for its answer before it fails with RequestTimeoutError
   * (default 30 s). A hung API must not stall the caller forever: the operation is abandoned
   * (graphql-ws `complete`) and the caller's own retry sends it again.
   */
  requestTimeoutMs?: number;
  /** The forward proxy, if any (apiTransport): the WebSocket is tunnelled through it. */
  transport?: ApiTransport;
}

export const REQUEST_TIMEOUT_MS = 30_000;

export interface Link {
  /** Sends a typed document; rejects with RequestError on GraphQL errors or when not connected. */
  request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V): Promise<R>;
  close(): Promise<void>;
}

export class RequestError extends Error {
  override readonly name: string = "RequestError";
}

/** The API did not answer a request in time (see LinkOptions.requestTimeoutMs). */
export class RequestTimeoutError extends RequestError {
  override readonly name = "RequestTimeoutError";
}

/** The API answered a mutation with payload `errors`: it refused the change and applied nothing. */
export class RefusedError extends Error {
  override readonly name = "RefusedError";
  constructor(
    readonly operation: string,
    readonly errors: PayloadError[],
  ) {
    super(`${operation} refused: ${errors.map((e) => `${e.__typename}: ${e.message}`).join("; ")}`);
  }
}

/** Throws RefusedError when a mutation payload carries `errors`; returns the payload otherwise. */
export function accepted<P extends { errors: PayloadError[] | null }>(operation: string, payload: P): P {
  if (payload.errors?.length) throw new RefusedError(operation, payload.errors);
  return payload;
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

const printedDocuments = new WeakMap<object, string>();
/** The document's text (printed once per document). */
export function printed(document: TypedDocumentNode<unknown, never> | TypedDocumentNode): string {
  let text = printedDocuments.get(document);
  if (text === undefined) {
    text = print(document);
    printedDocuments.set(document, text);
  }
  return text;
}

/** ws with the proxy's tunnelling agent (graphql-ws constructs it with a URL and protocol only). */
function webSocketThrough(transport: ApiTransport | undefined): typeof WebSocket {
  if (!transport?.describe()) return WebSocket;
  const through = transport;
  return class ProxiedWebSocket extends WebSocket {
    constructor(url: string | URL | null, protocols?: string | string[]) {
      super(url as string, protocols, { agent: through.wsAgent(String(url)) });
    }
  } as typeof WebSocket;
}

export function openLink(options: LinkOptions): Link {
  let closed = false;
  let attempt = 0;
  const proxy = options.transport?.describe();
  const client: Client = createClient({
    url: () => wsUrl(options.apiUrls[attempt++ % options.apiUrls.length]!),
    webSocketImpl: webSocketThrough(options.transport),
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
      // A socket that never opened (refused, or the proxy said no): say why, naming the proxy.
      error: (error) => {
        if (closed) return;
        const reason = String((error as { message?: string })?.message ?? error);
        options.log("connection failed", proxy ? { proxy, error: reason } : { error: reason });
      },
    },
  });

  const subscribeCommands = () => {
    client.subscribe<CommandsSubscription>(
      { query: printed(CommandsDocument) },
      {
        next: (result) => {
          if (result.data?.agentCommands) options.onCommand(result.data.agentCommands);
          if (result.errors?.some((e) => e.extensions?.code === "SESSION_REPLACED")) {
            // Another agent with this credential connected after us: two agents must not run the
            // same host's commands. The newer one keeps the host; this one stops.
            closed = true;
            options.onFatal("another agent with this credential took over this host (SESSION_REPLACED)");
            void client.dispose();
            return;
          }
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
    request<R, V extends Record<string, unknown>>(document: TypedDocumentNode<R, V>, variables: V) {
      const query = printed(document);
      const timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      return new Promise<R>((resolve, reject) => {
        let data: R | null = null;
        let settled = false;
        const settle = (finish: () => void) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          finish();
        };
        const unsubscribe = client.subscribe<R>(
          { query, variables },
          {
            next: (result) => {
              if (result.errors?.length)
                settle(() => reject(new RequestError(result.errors!.map((e) => e.message).join("; "))));
              else data = result.data ?? null;
            },
            error: (error) =>
              settle(() => reject(error instanceof Error ? error : new RequestError(String(error)))),
            complete: () => settle(() => (data ? resolve(data) : reject(new RequestError("no data")))),
          },
        );
        const timer = setTimeout(
          () =>
            settle(() => {
              unsubscribe();
              reject(new RequestTimeoutError(`no answer from the API within ${timeoutMs} ms`));
            }),
          timeoutMs,
        );
      });
    },
    async close() {
      closed = true;
      await client.dispose();
    },
  };
}
