// First contact: exchanges the enrollment token for the agent's own credential over HTTPS/HTTP.
import { EnrollDocument, type EnrollMutationVariables } from "@ferry/protocol";
import { z } from "zod";
import { printed } from "./link.ts";

const message = z.object({ message: z.string() });
/** The GraphQL response of Enroll, checked (a proxy's HTML error page is not an answer). */
const enrollResponse = z.object({
  data: z
    .object({
      enrollAgent: z.object({
        credential: z.string().nullable(),
        hostId: z.string().nullable(),
        errors: z.array(message).nullable(),
      }),
    })
    .nullish(),
  errors: z.array(message).optional(),
});

export class EnrollmentError extends Error {
  override readonly name = "EnrollmentError";
}

/** How long enrollment waits for an API replica (then the next one is tried). */
export const ENROLL_TIMEOUT_MS = 30_000;

export async function enroll(
  apiUrl: string,
  enrollmentToken: string,
  hostName: string,
  timeoutMs = ENROLL_TIMEOUT_MS,
  fetchApi: typeof fetch = fetch,
) {
  const variables: EnrollMutationVariables = { input: { hostName } };
  // Bounded: a replica that accepts the connection and never answers must not hang the agent.
  const response = await fetchApi(new URL("/graphql", apiUrl), {
    signal: AbortSignal.timeout(timeoutMs),
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${enrollmentToken}` },
    body: JSON.stringify({ query: printed(EnrollDocument), variables }),
  });
  const json = await response.json().catch((error: unknown) => {
    // The bound covers the body too: a timeout is an outage (try the next replica), not a refusal.
    if ((error as Error)?.name === "TimeoutError" || (error as Error)?.name === "AbortError") throw error;
    return null;
  });
  const parsed = enrollResponse.safeParse(json);
  const body = parsed.success ? parsed.data : null;
  const payload = body?.data?.enrollAgent;
  if (!payload?.credential || !payload.hostId) {
    const reason = payload?.errors?.[0]?.message ?? body?.errors?.[0]?.message ?? `HTTP ${response.status}`;
    throw new EnrollmentError(`enrollment refused: ${reason}`);
  }
  return { credential: payload.credential, hostId: payload.hostId };
}

/** Enrolls through the first replica that answers; a refusal (not an outage) is final. */
export async function enrollAny(
  apiUrls: string[],
  enrollmentToken: string,
  hostName: string,
  fetchApi: typeof fetch = fetch,
) {
  let lastError: unknown = null;
  for (const url of apiUrls) {
    try {
      return await enroll(url, enrollmentToken, hostName, ENROLL_TIMEOUT_MS, fetchApi);
    } catch (error) {
      if (error instanceof EnrollmentError) throw error;
      lastError = error;
    }
  }
  throw new Error(
    `no API replica reachable for enrollment: ${(lastError as Error)?.message ?? "none configured"}`,
  );
}
