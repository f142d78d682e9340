// One urql client per signed-in token: queries and mutations over HTTP POST (the API refuses GET
// without a CSRF header), subscriptions over graphql-ws on the same origin, both with the token.
import { Client, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWsClient } from "graphql-ws";

export interface ConsoleClient {
  client: Client;
  dispose(): void;
}

function setLive(state: string) {
  document.body.dataset.live = state;
}

export function createConsoleClient(token: string): ConsoleClient {
  const origin = window.location.origin;
  const ws = createWsClient({
    url: `${origin.replace(/^http/, "ws")}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    // The live state is on <body data-live> (for the header's indicator and for tests).
    on: {
      connected: () => setLive("connected"),
      closed: () => setLive("closed"),
    },
  });
  const client = new Client({
    url: `${origin}/graphql`,
    preferGetMethod: false,
    requestPolicy: "cache-and-network",
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}
