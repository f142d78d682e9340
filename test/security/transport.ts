// Sends one operation over HTTP (POST; subscriptions as server-sent events) or over a graphql-ws
// WebSocket, and reports the first answer: errors with their codes, or how the socket closed.
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

export interface Answer {
  status?: number;
  data?: unknown;
  errors: { message: string; extensions?: Record<string, unknown> }[];
  closeCode?: number;
}

export const codes = (a: Answer) => a.errors.map((e) => e.extensions?.code as string | undefined);

export async function httpOnce(
  url: string,
  query: string,
  token: string | null,
  subscription = false,
): Promise<Answer> {
  const controller = new AbortController();
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: subscription ? "text/event-stream" : "application/graphql-response+json, application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
    signal: controller.signal,
  });
  if (!subscription || !response.headers.get("content-type")?.includes("text/event-stream")) {
    const body = (await response.json()) as Answer;
    return { status: response.status, data: body.data, errors: body.errors ?? [] };
  }
  // First "data:" line of the event stream, then hang up.
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 30_000; // a safety net: refusals answer at once, a loaded machine is slow
  try {
    while (Date.now() < deadline) {
      const timeout = new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())));
      const chunk = await Promise.race([reader.read(), timeout]);
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
      const line = text.split("\n").find((l) => l.startsWith("data:") && l.length > 6);
      if (line) {
        const body = JSON.parse(line.slice(5)) as Answer;
        return { status: response.status, data: body.data, errors: body.errors ?? [] };
      }
    }
    return { status: response.status, errors: [] };
  } finally {
    controller.abort();
  }
}

export function wsConnect(url: string, token: string | null): Client {
  return createClient({
    url: `${url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
    lazyCloseTimeout: 60_000,
  });
}

/**
 * The first answer to `query` on `client` (or what ended the socket). `waitMs` is a safety net for an
 * answer that must come (generous: a loaded machine is slow), or the quiet period of a subscription.
 */
export function wsOnce(client: Client, query: string, waitMs = 60_000): Promise<Answer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Answer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve(a);
    };
    const timer = setTimeout(() => finish({ errors: [] }), waitMs);
    const unsubscribe = client.subscribe(
      { query },
      {
        next: (r) => finish({ data: r.data, errors: (r.errors ?? []) as Answer["errors"] }),
        error: (e) => {
          if (Array.isArray(e)) return finish({ errors: e as Answer["errors"] });
          const code = (e as { code?: number }).code;
          finish({ errors: [], closeCode: typeof code === "number" ? code : -1 });
        },
        complete: () => finish({ errors: [] }),
      },
    );
  });
}
