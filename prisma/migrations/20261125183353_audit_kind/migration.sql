-- AlterTable
ALTER TABLE "AuditEntry" ADD COLUMN     "kind" TEXT NOT NULL DEFAULT 'MUTATION';

-- CreateIndex
CREATE INDEX "AuditEntry_actor_id_idx" ON "AuditEntry"("actor", "id");

-- CreateIndex
CREATE INDEX "AuditEntry_operation_id_idx" ON "AuditEntry"("operation", "id");
