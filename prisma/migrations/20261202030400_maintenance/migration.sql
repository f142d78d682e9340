-- CreateEnum
CREATE TYPE "MaintenanceState" AS ENUM ('PLANNING', 'DRAINING', 'IN_MAINTENANCE', 'RETURNING', 'ENDED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "UnmovablePolicy" AS ENUM ('STAY_RUNNING', 'SAVE', 'SHUT_DOWN');

-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "maintenanceId" UUID;

-- CreateTable
CREATE TABLE "Maintenance" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "state" "MaintenanceState" NOT NULL DEFAULT 'PLANNING',
    "unmovablePolicy" "UnmovablePolicy" NOT NULL DEFAULT 'STAY_RUNNING',
    "destinationHostIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "returnVms" BOOLEAN NOT NULL DEFAULT false,
    "requestedBy" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "notBefore" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "totalCount" INTEGER NOT NULL DEFAULT 0,
    "returnCount" INTEGER NOT NULL DEFAULT 0,
    "estimatedSeconds" DOUBLE PRECISION,
    "unmovable" JSONB NOT NULL DEFAULT '[]',
    "failureMessage" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Maintenance_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Maintenance_hostId_state_idx" ON "Maintenance"("hostId", "state");

-- CreateIndex
CREATE INDEX "Maintenance_requestedAt_idx" ON "Maintenance"("requestedAt");

-- CreateIndex
CREATE INDEX "Migration_maintenanceId_idx" ON "Migration"("maintenanceId");

-- AddForeignKey
ALTER TABLE "Migration" ADD CONSTRAINT "Migration_maintenanceId_fkey" FOREIGN KEY ("maintenanceId") REFERENCES "Maintenance"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Maintenance" ADD CONSTRAINT "Maintenance_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- One open maintenance per host, enforced by the database (two startMaintenance calls cannot both win).
CREATE UNIQUE INDEX "Maintenance_hostId_open_key" ON "Maintenance"("hostId")
  WHERE "state" IN ('PLANNING', 'DRAINING', 'IN_MAINTENANCE', 'RETURNING');
