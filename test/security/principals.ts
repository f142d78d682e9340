// One bearer secret per kind of caller, created through the API itself (createApiToken, enrollments).
import { ADMIN_TOKEN, type TestApi } from "../helpers/api.ts";
import { enrollmentToken as enrollmentTokenAt } from "../helpers/processes.ts";
import type { PrincipalName } from "./roles.ts";

export async function createToken(api: TestApi, name: string, role: "VIEWER" | "OPERATOR" | "ADMIN") {
  const data = await api.gqlOk<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
    `mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret apiToken { id } errors { message } } }`,
    { input: { name, role } },
  );
  return data.createApiToken;
}

/** A single-use enrollment token for `hostName` (test/helpers/processes.ts has the one implementation). */
export function enrollmentToken(api: TestApi, hostName: string): Promise<string> {
  return enrollmentTokenAt(api.url, hostName, ADMIN_TOKEN);
}

/** Enrolls an agent for `hostName`; its credential and host id. */
export async function enrolledAgent(api: TestApi, hostName: string) {
  const token = await enrollmentToken(api, hostName);
  const data = await api.gqlOk<{ enrollAgent: { credential: string; hostId: string } }>(
    "mutation($h: String!) { enrollAgent(input: {hostName: $h}) { credential hostId errors { message } } }",
    { h: hostName },
    token,
  );
  return data.enrollAgent;
}

export async function allPrincipals(api: TestApi): Promise<Record<PrincipalName, string>> {
  return {
    VIEWER: (await createToken(api, "walk-viewer", "VIEWER")).secret,
    OPERATOR: (await createToken(api, "walk-operator", "OPERATOR")).secret,
    ADMIN: ADMIN_TOKEN,
    AGENT: (await enrolledAgent(api, "HV-WALK")).credential,
    ENROLLMENT: await enrollmentToken(api, "HV-WALK2"),
  };
}
