// cancelMigration: a queued move ends at once; a running one goes CANCELLING until the source
// agent reports the job's end (CANCELLED, or SUCCEEDED if it finished first; never both).
import type { App } from "../../context.ts";
import type { Migration } from "../../generated/prisma/client.ts";
import { issueCommand } from "../agents/commands.ts";
import { ConflictError, NotFoundError } from "../shared/errors.ts";
import { finishMigration, recordSample } from "./progress.ts";

export async function cancelMigration(
  app: App,
  migrationId: string,
  requestedBy: string,
): Promise<Migration> {
  const prisma = app.db.prisma;
  const m = await prisma.migration.findUnique({ where: { id: migrationId } });
  if (!m) throw new NotFoundError("Migration", migrationId);
  if (m.state === "QUEUED" && (await finishMigration(app, m.id, "CANCELLED", null))) {
    return prisma.migration.findUniqueOrThrow({ where: { id: m.id } });
  }
  const { count } = await prisma.migration.updateMany({
    where: { id: m.id, state: "RUNNING" },
    data: { state: "CANCELLING" },
  });
  if (count === 1) {
    await recordSample(app, m.id, {
      percentComplete: m.percentComplete,
      state: "CANCELLING",
      message: `cancel requested by ${requestedBy}`,
    });
    await issueCommand(app, {
      hostId: m.sourceHostId,
      type: "CANCEL_MOVE",
      payload: { migrationId: m.id },
      requestedBy,
      migrationId: m.id,
    });
    app.pubsub.publish("migrationChanged", m.id, { at: Date.now() });
    app.pubsub.publish("migrationsChanged", { migrationId: m.id });
  }
  const now = await prisma.migration.findUniqueOrThrow({ where: { id: m.id } });
  if (now.state === "CANCELLING") return now;
  throw new ConflictError(`migration already ${now.state.toLowerCase()}`);
}
