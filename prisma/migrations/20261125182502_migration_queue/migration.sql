-- CreateIndex
CREATE UNIQUE INDEX "Migration_seq_key" ON "Migration"("seq");

-- At most one active migration per VM, enforced by the database (Prisma cannot express partial indexes).
CREATE UNIQUE INDEX "Migration_one_active_per_vm" ON "Migration"("vmGuid") WHERE "state" IN ('QUEUED', 'RUNNING', 'CANCELLING');
