// Starts the real API in this process on a free port with a fresh database, plus a tiny typed
// GraphQL client that prints the query and response when a test's expectation fails.
import { type ApiServer, createLogger, loadConfig, startApiServer } from "@ferry/api/server";
import { freshDatabase, type TestDatabaseEnv } from "./database.ts";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface TestApi {
  server: ApiServer;
  url: string;
  database: TestDatabaseEnv;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<GqlResult<T>>;
  gqlOk<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<T>;
  stop(): Promise<void>;
}

export interface GqlResult<T> {
  status: number;
  data: T;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const database = await freshDatabase();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    FERRY_ADMIN_TOKEN: ADMIN_TOKEN,
    ...database.env,
    ...env,
  });
  const server = await startApiServer(config, {
    logger: createLogger(process.env.FERRY_TEST_LOG ?? "silent"),
  });
  return {
    server,
    url: server.url,
    database,
    gql: (query, variables, token = ADMIN_TOKEN) => gql(server.url, query, variables, token),
    gqlOk: (query, variables, token = ADMIN_TOKEN) => gqlOk(server.url, query, variables, token),
    async stop() {
      await server.stop();
      await database.drop();
    },
  };
}

export async function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = ADMIN_TOKEN,
): Promise<GqlResult<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GqlResult<T>;
  return { ...body, status: response.status };
}

/** The data of a request that must succeed; otherwise throws with the query and the response. */
export async function gqlOk<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = ADMIN_TOKEN,
): Promise<T> {
  const result = await gql<T>(url, query, variables, token);
  if (result.errors?.length || result.status !== 200) {
    throw new Error(
      `GraphQL request failed\n${query}\nvariables: ${JSON.stringify(variables)}\nresponse (${result.status}): ${JSON.stringify(result, null, 2)}`,
    );
  }
  return result.data;
}

/**
 * Polls `probe` until it returns a truthy value (or throws the last error after `timeoutMs`). The default
 * is a ceiling for a loaded machine, not a budget: at load ~20 on 2 cores a 20 s default ran out while the
 * API was still working (configuration operations, drift), and only a failing test ever waits this long.
 */
export async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ""}`);
}
