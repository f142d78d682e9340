// Webhooks GraphQL (ADMIN): createWebhook (the signing secret is shown once), webhooks, updateWebhook,
// deleteWebhook, and each webhook's delivery history. Resolvers only translate (service.ts).
import { builder } from "../../builder.ts";
import type { Webhook } from "../../generated/prisma/client.ts";
import { payloadType, runMutation } from "../shared/payload.ts";
import type { WEBHOOK_EVENT_TYPES } from "./outbox.ts";
import { auditUrl, createWebhook, deleteWebhook, updateWebhook } from "./service.ts";

export const WebhookEventEnum = builder.enumType("WebhookEvent", {
  description: "What a webhook can subscribe to.",
  values: {
    MIGRATION_STATE_CHANGED: {
      description:
        "A migration changed state (QUEUED, STARTING, RUNNING, SUCCEEDED, ...); data: the Migration.",
    },
    MAINTENANCE_STATE_CHANGED: { description: "A host maintenance changed state; data: the Maintenance." },
    HOST_READINESS_CHANGED: {
      description:
        "A host's readiness for live migration changed (a check's status changed); data: the Host with readiness and ready.",
    },
    HOST_DRIFT_CHANGED: {
      description: "A host's drift from its migration profile changed; data: the Host with drift.",
    },
    AGENT_CONNECTED: { description: "A host's agent connected; data: the Host with agent." },
    AGENT_LOST: { description: "A host's agent disconnected; data: the Host with agent." },
  } satisfies Record<(typeof WEBHOOK_EVENT_TYPES)[number], { description: string }>,
});

const WebhookDeliveryType = builder.prismaNode("WebhookDelivery", {
  description: "One event sent (or to be sent) to one webhook, with its attempts.",
  id: { field: "id" },
  authScopes: { admin: true },
  fields: (t) => ({
    eventId: t.exposeString("eventId", {
      description:
        "The event's id: the `id` of the JSON body and the X-Ferry-Event-Id header (same for every retry).",
    }),
    event: t.field({
      type: WebhookEventEnum,
      description: "The event type.",
      select: { event: { select: { type: true } } },
      resolve: (d) => d.event.type,
    }),
    state: t.string({
      description:
        "PENDING (not yet accepted; retried), DELIVERED (the receiver answered 2xx) or FAILED (gave up after 24 h).",
      resolve: (d) => d.state,
    }),
    attempts: t.exposeInt("attempts", { description: "Requests sent so far." }),
    lastStatusCode: t.exposeInt("lastStatusCode", {
      nullable: true,
      description: "HTTP status of the last answer; null when there was none (refused, timeout).",
    }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why the last attempt failed." }),
    nextAttemptAt: t.field({
      type: "DateTime",
      nullable: true,
      description: "When it is tried next; null once DELIVERED or FAILED.",
      select: { nextAttemptAt: true, state: true },
      resolve: (d) => (d.state === "PENDING" ? d.nextAttemptAt : null),
    }),
    deliveredAt: t.expose("deliveredAt", {
      type: "DateTime",
      nullable: true,
      description: "When the receiver accepted it.",
    }),
  }),
});

const WebhookDeliveryConnection = builder.connectionObject({
  type: WebhookDeliveryType,
  name: "WebhookDeliveryConnection",
  description: "A page of a webhook's deliveries.",
});

const WebhookType = builder.prismaNode("Webhook", {
  description:
    "An HTTPS endpoint that receives signed JSON POSTs ({id, type, time, data}) for the events it subscribed to. ADMIN only.",
  id: { field: "id" },
  authScopes: { admin: true },
  fields: (t) => ({
    url: t.exposeString("url", { description: "Where events are POSTed." }),
    events: t.field({
      type: [WebhookEventEnum],
      description: "The events it receives.",
      resolve: (w) => w.events,
    }),
    description: t.exposeString("description", { nullable: true, description: "What it is for." }),
    active: t.exposeBoolean("active", {
      description: "False: nothing is sent (events meanwhile are not queued).",
    }),
    createdBy: t.exposeString("createdBy", { description: "Who created it." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    deliveries: t.relatedConnection(
      "deliveries",
      {
        description: "Deliveries, newest first.",
        cursor: "id",
        query: { orderBy: [{ seq: "desc" }] },
        totalCount: true,
      },
      WebhookDeliveryConnection,
    ),
  }),
});

const WebhookConnection = builder.connectionObject({
  type: WebhookType,
  name: "WebhookConnection",
  description: "A page of webhooks.",
});

builder.queryField("webhooks", (t) =>
  t.prismaConnection(
    {
      type: "Webhook",
      cursor: "id",
      description: "ADMIN: the webhooks, newest first (never their secrets).",
      authScopes: { admin: true },
      totalCount: (_p, _a, ctx) => ctx.app.db.prisma.webhook.count(),
      resolve: (query, _p, _a, ctx) =>
        ctx.app.db.prisma.webhook.findMany({ ...query, orderBy: [{ createdAt: "desc" }, { id: "desc" }] }),
    },
    WebhookConnection,
  ),
);

const CreateWebhookInput = builder.inputType("CreateWebhookInput", {
  description: "A new webhook.",
  fields: (t) => ({
    url: t.string({
      required: true,
      description:
        "http(s) URL; must resolve to public addresses unless FERRY_WEBHOOK_ALLOW_PRIVATE=true. Use https in production.",
    }),
    events: t.field({
      type: [WebhookEventEnum],
      required: true,
      description: "Events to receive (at least one).",
    }),
    description: t.string({ description: "What it is for (at most 500 characters)." }),
  }),
});

const UpdateWebhookInput = builder.inputType("UpdateWebhookInput", {
  description:
    "Changes to a webhook; omitted fields stay. The secret never changes (delete and create to rotate).",
  fields: (t) => ({
    id: t.id({ required: true, description: "Webhook id." }),
    url: t.string({ description: "New URL (checked as at creation)." }),
    events: t.field({ type: [WebhookEventEnum], description: "New event list (at least one)." }),
    description: t.string({ description: "New description." }),
    active: t.boolean({ description: "Pause (false) or resume (true) deliveries." }),
  }),
});

const CreateWebhookPayload = payloadType<{ webhook: Webhook; secret: string }>(
  "CreateWebhookPayload",
  "The webhook and its signing secret (shown once).",
  (t) => ({
    webhook: t.prismaField({
      type: "Webhook",
      nullable: true,
      description: "The webhook.",
      resolve: (query, p, _a, ctx) =>
        p.data ? ctx.app.db.prisma.webhook.findUnique({ ...query, where: { id: p.data.webhook.id } }) : null,
    }),
    secret: t.string({
      nullable: true,
      description:
        'The signing secret (X-Ferry-Signature is its HMAC-SHA256 of "<timestamp>.<body>"). Shown only here; Ferry keeps it encrypted.',
      resolve: (p) => p.data?.secret ?? null,
    }),
  }),
);

const WebhookPayload = payloadType<Webhook>(
  "WebhookPayload",
  "The webhook after the change, or why not.",
  (t) => ({
    webhook: t.prismaField({
      type: "Webhook",
      nullable: true,
      description: "The webhook.",
      resolve: (query, p, _a, ctx) =>
        p.data ? ctx.app.db.prisma.webhook.findUnique({ ...query, where: { id: p.data.id } }) : null,
    }),
  }),
);

const DeleteWebhookPayload = payloadType<string>(
  "DeleteWebhookPayload",
  "The deleted webhook's id, or why not.",
  (t) => ({
    deletedId: t.id({ nullable: true, description: "Id of the deleted webhook.", resolve: (p) => p.data }),
  }),
);

builder.mutationField("createWebhook", (t) =>
  t.field({
    type: CreateWebhookPayload,
    description:
      "ADMIN: registers a webhook; returns its signing secret once. Errors: ValidationError (bad or private URL, no events).",
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const audit = {
        operation: "createWebhook",
        target: auditUrl(input.url) ?? null,
        input: { ...input, url: auditUrl(input.url) },
      };
      return runMutation(ctx, audit, () => createWebhook(ctx, input, audit));
    },
  }),
);

builder.mutationField("updateWebhook", (t) =>
  t.field({
    type: WebhookPayload,
    description:
      "ADMIN: changes a webhook's URL, events, description or active flag. Errors: ValidationError, NotFoundError.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateWebhookInput, required: true }) },
    resolve: (_r, { input }, ctx) => {
      const audit = {
        operation: "updateWebhook",
        target: String(input.id),
        input: { ...input, id: String(input.id), url: auditUrl(input.url) },
      };
      return runMutation(ctx, audit, () => updateWebhook(ctx, { ...input, id: String(input.id) }, audit));
    },
  }),
);

builder.mutationField("deleteWebhook", (t) =>
  t.field({
    type: DeleteWebhookPayload,
    description:
      "ADMIN: deletes a webhook with its delivery history; nothing more is sent. Errors: NotFoundError.",
    authScopes: { admin: true },
    args: { id: t.arg.id({ required: true, description: "Webhook id." }) },
    resolve: (_r, { id }, ctx) => {
      const audit = { operation: "deleteWebhook", target: String(id) };
      return runMutation(ctx, audit, () => deleteWebhook(ctx, String(id), audit));
    },
  }),
);
