-- AlterEnum
ALTER TYPE "MigrationState" ADD VALUE 'STARTING';

-- AlterEnum
ALTER TYPE "CommandStatus" ADD VALUE 'EXPIRED';

-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "provisional" BOOLEAN NOT NULL DEFAULT false;

-- One active migration per VM, enforced by the database (concurrent requests cannot both queue one).
-- Written with the old enum values only: a value added by ALTER TYPE cannot be used in the same transaction.
CREATE UNIQUE INDEX "Migration_vmGuid_active_key" ON "Migration"("vmGuid")
  WHERE "state" NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED');
