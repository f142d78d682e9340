// Auth GraphQL: the viewer, enrollments of new agents, API tokens, revocation of agent credentials.
import { builder } from "../../builder.ts";
import { principalName } from "../../context.ts";
import { auditedTransaction } from "../audit/service.ts";
import { decodeId } from "../shared/ids.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { createEnrollment } from "./service.ts";
import { createApiToken, revokeAgentCredentials, revokeApiToken } from "./tokens.ts";

export const Role = builder.enumType("Role", {
  description: "What a token may do.",
  values: {
    VIEWER: { description: "Reads inventory, migrations, events." },
    OPERATOR: { description: "VIEWER, plus moves and cancels migrations and sets processor compatibility." },
    ADMIN: { description: "OPERATOR, plus host configuration, profiles, tokens and enrollments." },
    AGENT: { description: "A host's agent; only the agent protocol." },
  },
});

const Viewer = builder
  .objectRef<{ name: string; role: "VIEWER" | "OPERATOR" | "ADMIN" | "AGENT" }>("Viewer")
  .implement({
    description: "The caller.",
    fields: (t) => ({
      name: t.exposeString("name", { description: "Token name (or agent:<host>)." }),
      role: t.field({ type: Role, description: "The caller's role.", resolve: (v) => v.role }),
    }),
  });

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    description: "Who am I: the token's name and role.",
    authScopes: { viewer: true, agent: true },
    resolve: (_root, _args, ctx) => {
      const p = ctx.principal!;
      return p.kind === "user"
        ? { name: p.name, role: p.role }
        : { name: principalName(p), role: "AGENT" as const };
    },
  }),
);

const CreateAgentEnrollmentInput = builder.inputType("CreateAgentEnrollmentInput", {
  description: "A new host to enroll.",
  fields: (t) => ({
    hostName: t.string({
      required: true,
      description: "The host's computer name; the agent must report the same.",
    }),
    expiresInSeconds: t.int({ description: "Validity of the token, 60 s to 30 days (default 24 h)." }),
  }),
});

const AgentEnrollment = builder.prismaObject("AgentEnrollment", {
  description: "A single-use token for one host's agent to enroll with.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "Enrollment id." }),
    hostName: t.exposeString("hostName", { description: "Host the enrollment is for." }),
    expiresAt: t.expose("expiresAt", { type: "DateTime", description: "When the token stops working." }),
    usedAt: t.expose("usedAt", { type: "DateTime", nullable: true, description: "When an agent used it." }),
  }),
});

type EnrollmentResult = Awaited<ReturnType<typeof createEnrollment>>;

const CreateAgentEnrollmentPayload = payloadType<EnrollmentResult>(
  "CreateAgentEnrollmentPayload",
  "The enrollment and its token (shown once).",
  (t) => ({
    enrollment: t.field({
      type: AgentEnrollment,
      nullable: true,
      description: "The enrollment.",
      resolve: (p) => p.data?.enrollment ?? null,
    }),
    token: t.string({
      nullable: true,
      description: "Pass to `ferry-agent --enrollment-token`. Shown only here; Ferry keeps only its hash.",
      resolve: (p) => p.data?.token ?? null,
    }),
  }),
);

builder.mutationField("createAgentEnrollment", (t) =>
  t.field({
    type: CreateAgentEnrollmentPayload,
    description: "ADMIN: creates a single-use, expiring enrollment token for a host's agent.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateAgentEnrollmentInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const audit = { operation: "createAgentEnrollment", target: input.hostName, input };
      // The enrollment and its audit entry commit together (or neither).
      return runMutation(ctx, audit, () =>
        auditedTransaction(ctx, audit, (tx) =>
          createEnrollment(ctx.app, principalName(ctx.principal), input, tx),
        ),
      );
    },
  }),
);

// --- API tokens (ADMIN) ---------------------------------------------------------------------------

const ClientRole = builder.enumType("ClientRole", {
  description: "Roles a client token may have (AGENT credentials come only from enrollments).",
  values: {
    VIEWER: { description: "Reads inventory, migrations, events." },
    OPERATOR: { description: "VIEWER, plus moves and cancels migrations and sets processor compatibility." },
    ADMIN: { description: "OPERATOR, plus host configuration, profiles, tokens and enrollments." },
  },
});

export const ApiTokenType = builder.prismaNode("ApiToken", {
  description: "A client's bearer token. Its secret is shown once at creation; Ferry keeps only a hash.",
  id: { field: "id" },
  authScopes: { admin: true },
  fields: (t) => ({
    name: t.exposeString("name", { description: "Name given at creation (who or what uses it)." }),
    role: t.field({ type: Role, description: "What the token may do.", resolve: (tk) => tk.role }),
    createdBy: t.exposeString("createdBy", { description: "Who created it (token:<name>)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "When it stops working; null = never.",
    }),
    revokedAt: t.expose("revokedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it was revoked; null = active.",
    }),
    lastUsedAt: t.expose("lastUsedAt", {
      type: "DateTime",
      nullable: true,
      description: "Last authenticated use (to the minute).",
    }),
    active: t.boolean({
      description: "Neither revoked nor expired.",
      resolve: (tk) => !tk.revokedAt && (!tk.expiresAt || tk.expiresAt > new Date()),
    }),
  }),
});

const ApiTokenFilter = builder.inputType("ApiTokenFilter", {
  description: "Filters for API tokens.",
  fields: (t) => ({
    active: t.boolean({ description: "Only active (true) or only revoked/expired (false) tokens." }),
    role: t.field({ type: Role, description: "Only tokens with this role." }),
  }),
});

const ApiTokenConnection = builder.connectionObject({
  type: ApiTokenType,
  name: "ApiTokenConnection",
  description: "A page of API tokens.",
});

builder.queryField("apiTokens", (t) =>
  t.prismaConnection(
    {
      type: "ApiToken",
      cursor: "id",
      description: "ADMIN: client tokens, newest first (never their secrets).",
      authScopes: { admin: true },
      args: { filter: t.arg({ type: ApiTokenFilter, description: "Filter the tokens." }) },
      totalCount: (_parent, args, ctx) =>
        ctx.app.db.prisma.apiToken.count({ where: apiTokenWhere(args.filter) }),
      resolve: (query, _parent, args, ctx) =>
        ctx.app.db.prisma.apiToken.findMany({
          ...query,
          where: apiTokenWhere(args.filter),
          orderBy: [{ createdAt: "desc" }, { id: "desc" }],
        }),
    },
    ApiTokenConnection,
  ),
);

function apiTokenWhere(filter: { active?: boolean | null; role?: string | null } | null | undefined) {
  const now = new Date();
  const active = { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
  const inactive = { OR: [{ revokedAt: { not: null } }, { expiresAt: { lte: now } }] };
  return {
    role: filter?.role ? (filter.role as "VIEWER") : { not: "AGENT" as const },
    ...(filter?.active === true ? active : filter?.active === false ? inactive : {}),
  };
}

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  description: "A new client token.",
  fields: (t) => ({
    name: t.string({
      required: true,
      description: "1-64 letters, digits, or . _ @ : - (who or what uses it).",
    }),
    role: t.field({ type: ClientRole, required: true, description: "What the token may do." }),
    expiresAt: t.field({ type: "DateTime", description: "When it stops working (optional)." }),
    expiresInSeconds: t.int({ description: "Or: validity in seconds from now (at least 60)." }),
  }),
});

type CreatedToken = Awaited<ReturnType<typeof createApiToken>>;

const CreateApiTokenPayload = payloadType<CreatedToken>(
  "CreateApiTokenPayload",
  "The new token and its secret (shown once).",
  (t) => ({
    apiToken: t.field({
      type: ApiTokenType,
      nullable: true,
      description: "The token.",
      resolve: (p) => p.data?.token ?? null,
    }),
    secret: t.string({
      nullable: true,
      description: "Send as `Authorization: Bearer <secret>`. Shown only here; Ferry keeps only its hash.",
      resolve: (p) => p.data?.secret ?? null,
    }),
  }),
);

builder.mutationField("createApiToken", (t) =>
  t.field({
    type: CreateApiTokenPayload,
    description:
      "ADMIN: creates a client token with a role and an optional expiry; the secret is shown once.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const audit = { operation: "createApiToken", target: input.name, input };
      // The token and its audit entry commit together (or neither).
      return runMutation(ctx, audit, () =>
        auditedTransaction(ctx, audit, (tx) =>
          createApiToken(ctx.app, principalName(ctx.principal), input, tx),
        ),
      );
    },
  }),
);

const RevokeApiTokenPayload = payloadType<Awaited<ReturnType<typeof revokeApiToken>>>(
  "RevokeApiTokenPayload",
  "The revoked token.",
  (t) => ({
    apiToken: t.field({
      type: ApiTokenType,
      nullable: true,
      description: "The token, now revoked.",
      resolve: (p) => p.data ?? null,
    }),
  }),
);

builder.mutationField("revokeApiToken", (t) =>
  t.field({
    type: RevokeApiTokenPayload,
    description: "ADMIN: revokes a token at once; its open WebSockets are closed (code 4403).",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: "The token's global id." }) },
    resolve: (_root, { id }, ctx) =>
      runMutation(ctx, { operation: "revokeApiToken", target: String(id), input: { id } }, (audit) =>
        revokeApiToken(ctx.app, decodeId("ApiToken", String(id), "id"), audit),
      ),
  }),
);

const RevokeAgentCredentialPayload = payloadType<Awaited<ReturnType<typeof revokeAgentCredentials>>>(
  "RevokeAgentCredentialPayload",
  "The host whose agent lost its credential.",
  (t) => ({
    hostName: t.string({
      nullable: true,
      description: "The host.",
      resolve: (p) => p.data?.host.name ?? null,
    }),
    revokedCount: t.int({
      nullable: true,
      description: "Credentials revoked (normally 1).",
      resolve: (p) => p.data?.revokedCount ?? null,
    }),
  }),
);

builder.mutationField("revokeAgentCredential", (t) =>
  t.field({
    type: RevokeAgentCredentialPayload,
    description:
      "ADMIN: revokes the agent credential of a host and disconnects its agent (WebSocket close 4403). The host needs a new enrollment to report again.",
    authScopes: { admin: true },
    args: { host: t.arg.id({ required: true, description: "The host's global id." }) },
    resolve: (_root, { host }, ctx) =>
      runMutation(
        ctx,
        { operation: "revokeAgentCredential", target: String(host), input: { host } },
        (audit) => revokeAgentCredentials(ctx.app, decodeId("Host", String(host), "host"), audit),
      ),
  }),
);
