// First contact: exchanges the enrollment token for the agent's own credential over HTTPS/HTTP.
import { ENROLL } from "./documents.ts";

export class EnrollmentError extends Error {
  override readonly name = "EnrollmentError";
}

export async function enroll(apiUrl: string, enrollmentToken: string, hostName: string) {
  const response = await fetch(new URL("/graphql", apiUrl), {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${enrollmentToken}` },
    body: JSON.stringify({ query: ENROLL, variables: { input: { hostName } } }),
  });
  const body = (await response.json().catch(() => null)) as {
    data?: {
      enrollAgent?: {
        credential: string | null;
        hostId: string | null;
        errors: { message: string }[] | null;
      };
    };
    errors?: { message: string }[];
  } | null;
  const payload = body?.data?.enrollAgent;
  if (!payload?.credential || !payload.hostId) {
    const reason = payload?.errors?.[0]?.message ?? body?.errors?.[0]?.message ?? `HTTP ${response.status}`;
    throw new EnrollmentError(`enrollment refused: ${reason}`);
  }
  return { credential: payload.credential, hostId: payload.hostId };
}

/** Enrolls through the first replica that answers; a refusal (not an outage) is final. */
export async function enrollAny(apiUrls: string[], enrollmentToken: string, hostName: string) {
  let lastError: unknown = null;
  for (const url of apiUrls) {
    try {
      return await enroll(url, enrollmentToken, hostName);
    } catch (error) {
      if (error instanceof EnrollmentError) throw error;
      lastError = error;
    }
  }
  throw new Error(
    `no API replica reachable for enrollment: ${(lastError as Error)?.message ?? "none configured"}`,
  );
}
