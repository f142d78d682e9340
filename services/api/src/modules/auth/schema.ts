// viewer, and enrollments of new agents.
import { builder } from "../../builder.ts";
import { principalName } from "../../context.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import { createEnrollment } from "./service.ts";

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
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { operation: "createAgentEnrollment", target: input.hostName, input }, () =>
        createEnrollment(ctx.app, principalName(ctx.principal), input),
      ),
  }),
);
