-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "drift" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "profileId" UUID;

-- CreateTable
CREATE TABLE "MigrationProfile" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "enabled" BOOLEAN,
    "authenticationType" "MigrationAuthenticationType",
    "performanceOption" "MigrationPerformanceOption",
    "maximumVirtualMachineMigrations" INTEGER,
    "maximumStorageMigrations" INTEGER,
    "useAnyNetworkForMigration" BOOLEAN,
    "networks" JSONB,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MigrationProfile_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MigrationProfile_name_key" ON "MigrationProfile"("name");

-- CreateIndex
CREATE INDEX "Host_profileId_idx" ON "Host"("profileId");

-- CreateIndex
CREATE INDEX "HostEvent_migrationId_idx" ON "HostEvent"("migrationId");

-- AddForeignKey
ALTER TABLE "Host" ADD CONSTRAINT "Host_profileId_fkey" FOREIGN KEY ("profileId") REFERENCES "MigrationProfile"("id") ON DELETE SET NULL ON UPDATE CASCADE;

