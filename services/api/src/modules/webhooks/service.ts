// Webhook management: create (the secret is returned once and stored encrypted), update, delete.
// Every change commits with its audit entry (auditedTransaction); bad input changes nothing.
import type { Context } from "../../context.ts";
import { principalName } from "../../context.ts";
import type { Webhook, WebhookEventType } from "../../generated/prisma/client.ts";
import { auditedTransaction } from "../audit/service.ts";
import { NotFoundError, ValidationError } from "../shared/errors.ts";
import { decodeId, isUuid } from "../shared/ids.ts";
import { checkTarget, urlProblem } from "./address.ts";
import { encryptSecret, newWebhookSecret, webhookKey } from "./secret.ts";

export interface CreateWebhookInput {
  url: string;
  events: WebhookEventType[];
  description?: string | null;
}

export interface UpdateWebhookInput {
  id: string;
  url?: string | null;
  events?: WebhookEventType[] | null;
  description?: string | null;
  active?: boolean | null;
}

async function validUrl(ctx: Context, url: string, field: string): Promise<string> {
  const trimmed = url.trim();
  const problem = urlProblem(trimmed);
  if (problem) throw new ValidationError(field, `url ${problem}`);
  try {
    await checkTarget(trimmed, ctx.app.config.webhooks.allowPrivate);
  } catch (error) {
    throw new ValidationError(field, `url refused: ${(error as Error).message}`);
  }
  return trimmed;
}

function validEvents(events: WebhookEventType[], field: string): WebhookEventType[] {
  if (events.length === 0) throw new ValidationError(field, "subscribe to at least one event");
  return [...new Set(events)];
}

function validDescription(description: string | null | undefined, field: string): string | null {
  if (description == null) return null;
  if (description.length > 500) throw new ValidationError(field, "description: at most 500 characters");
  return description;
}

/** Audit input: the URL without its query string (it may carry a receiver's token). */
export function auditUrl(url: string | null | undefined): string | null | undefined {
  if (!url) return url;
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? "?[redacted]" : ""}`;
  } catch {
    return "[invalid url]";
  }
}

export async function createWebhook(
  ctx: Context,
  input: CreateWebhookInput,
  audit: { operation: string; target?: string | null; input?: unknown },
): Promise<{ webhook: Webhook; secret: string }> {
  const url = await validUrl(ctx, input.url, "input.url");
  const events = validEvents(input.events, "input.events");
  const description = validDescription(input.description, "input.description");
  const key = webhookKey(ctx.app.config);
  if (!key) {
    throw new ValidationError(
      "input",
      "webhooks need FERRY_WEBHOOK_KEY on every replica (it encrypts the signing secrets); set it and restart",
    );
  }
  const secret = newWebhookSecret();
  const webhook = await auditedTransaction(ctx, audit, (tx) =>
    tx.webhook.create({
      data: {
        url,
        events,
        description,
        secretCipher: encryptSecret(key, secret),
        createdBy: principalName(ctx.principal),
      },
    }),
  );
  return { webhook, secret };
}

export function webhookId(id: string, field: string): string {
  const raw = decodeId("Webhook", id, field);
  if (!isUuid(raw)) throw new NotFoundError("Webhook", id);
  return raw;
}

export async function updateWebhook(
  ctx: Context,
  input: UpdateWebhookInput,
  audit: { operation: string; target?: string | null; input?: unknown },
): Promise<Webhook> {
  const id = webhookId(input.id, "input.id");
  const data: { url?: string; events?: WebhookEventType[]; description?: string | null; active?: boolean } =
    {};
  if (input.url != null) data.url = await validUrl(ctx, input.url, "input.url");
  if (input.events != null) data.events = validEvents(input.events, "input.events");
  if (input.description !== undefined)
    data.description = validDescription(input.description, "input.description");
  if (input.active != null) data.active = input.active;
  return auditedTransaction(ctx, audit, async (tx) => {
    const { count } = await tx.webhook.updateMany({ where: { id }, data });
    if (count === 0) throw new NotFoundError("Webhook", input.id);
    return tx.webhook.findUniqueOrThrow({ where: { id } });
  });
}

/** Deletes the webhook and its delivery history; pending deliveries are never sent. */
export async function deleteWebhook(
  ctx: Context,
  id: string,
  audit: { operation: string; target?: string | null; input?: unknown },
): Promise<string> {
  const raw = webhookId(id, "id");
  await auditedTransaction(ctx, audit, async (tx) => {
    const { count } = await tx.webhook.deleteMany({ where: { id: raw } });
    if (count === 0) throw new NotFoundError("Webhook", id);
  });
  return id;
}
