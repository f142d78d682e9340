-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "CpuVendor" AS ENUM ('INTEL', 'AMD', 'OTHER');

-- CreateEnum
CREATE TYPE "VmState" AS ENUM ('RUNNING', 'OFF', 'SAVED', 'PAUSED', 'STARTING', 'STOPPING', 'SAVING', 'PAUSING', 'RESUMING', 'OTHER');

-- CreateEnum
CREATE TYPE "MigrationAuthenticationType" AS ENUM ('CREDSSP', 'KERBEROS');

-- CreateEnum
CREATE TYPE "MigrationPerformanceOption" AS ENUM ('TCPIP', 'COMPRESSION', 'SMB');

-- CreateEnum
CREATE TYPE "MigrationKind" AS ENUM ('LIVE', 'LIVE_WITH_STORAGE', 'STORAGE');

-- CreateEnum
CREATE TYPE "MigrationState" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLING', 'CANCELLED');

-- CreateEnum
CREATE TYPE "CommandStatus" AS ENUM ('PENDING', 'DELIVERED', 'SUCCEEDED', 'FAILED');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('VIEWER', 'OPERATOR', 'ADMIN', 'AGENT');

-- CreateTable
CREATE TABLE "Host" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "fqdn" TEXT,
    "domain" TEXT,
    "cpuVendor" "CpuVendor" NOT NULL DEFAULT 'OTHER',
    "cpuModel" TEXT NOT NULL DEFAULT '',
    "logicalProcessorCount" INTEGER NOT NULL DEFAULT 0,
    "memoryCapacityBytes" BIGINT NOT NULL DEFAULT 0,
    "memoryAvailableBytes" BIGINT NOT NULL DEFAULT 0,
    "supportedVmVersions" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "virtualMachinePath" TEXT NOT NULL DEFAULT '',
    "virtualHardDiskPath" TEXT NOT NULL DEFAULT '',
    "delegations" TEXT[],
    "delegationsKnown" BOOLEAN NOT NULL DEFAULT false,
    "agentConnected" BOOLEAN NOT NULL DEFAULT false,
    "agentLastSeenAt" TIMESTAMP(3),
    "agentVersion" TEXT,
    "agentBackend" TEXT,
    "agentReplica" TEXT,
    "inventoryReportedAt" TIMESTAMP(3),
    "inventoryHash" TEXT,
    "eventBookmark" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Host_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MigrationSettings" (
    "hostId" UUID NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "authenticationType" "MigrationAuthenticationType" NOT NULL DEFAULT 'CREDSSP',
    "performanceOption" "MigrationPerformanceOption" NOT NULL DEFAULT 'COMPRESSION',
    "maximumVirtualMachineMigrations" INTEGER NOT NULL DEFAULT 2,
    "maximumStorageMigrations" INTEGER NOT NULL DEFAULT 2,
    "useAnyNetworkForMigration" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "MigrationSettings_pkey" PRIMARY KEY ("hostId")
);

-- CreateTable
CREATE TABLE "MigrationNetwork" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "subnet" TEXT NOT NULL,
    "priority" INTEGER,

    CONSTRAINT "MigrationNetwork_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FirewallRule" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "displayName" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "protocol" TEXT NOT NULL,
    "localPort" TEXT NOT NULL,

    CONSTRAINT "FirewallRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VirtualSwitch" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "switchType" TEXT NOT NULL,

    CONSTRAINT "VirtualSwitch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NetworkAdapter" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "linkSpeedBps" BIGINT NOT NULL,
    "rdmaCapable" BOOLEAN NOT NULL,
    "ipAddresses" TEXT[],

    CONSTRAINT "NetworkAdapter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VirtualMachine" (
    "id" UUID NOT NULL,
    "vmId" TEXT NOT NULL,
    "hostId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "state" "VmState" NOT NULL,
    "status" TEXT,
    "cpuUsage" INTEGER NOT NULL,
    "memoryAssignedBytes" BIGINT NOT NULL,
    "memoryStartupBytes" BIGINT NOT NULL,
    "uptimeSeconds" INTEGER NOT NULL,
    "generation" INTEGER NOT NULL,
    "configurationVersion" TEXT NOT NULL,
    "processorCompatibilityForMigration" BOOLEAN NOT NULL,
    "path" TEXT NOT NULL,
    "switchNames" TEXT[],
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "VirtualMachine_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HardDrive" (
    "id" UUID NOT NULL,
    "vmRowId" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "path" TEXT NOT NULL,
    "sizeBytes" BIGINT NOT NULL,

    CONSTRAINT "HardDrive_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Migration" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "kind" "MigrationKind" NOT NULL,
    "state" "MigrationState" NOT NULL DEFAULT 'QUEUED',
    "vmRowId" UUID,
    "vmGuid" TEXT NOT NULL,
    "vmName" TEXT NOT NULL,
    "sourceHostId" UUID NOT NULL,
    "destinationHostId" UUID,
    "destinationStoragePath" TEXT,
    "vhdMoves" JSONB NOT NULL DEFAULT '[]',
    "percentComplete" INTEGER NOT NULL DEFAULT 0,
    "requestedBy" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "idempotencyKey" TEXT,
    "jobId" TEXT,
    "failureCode" TEXT,
    "failureMessage" TEXT,
    "failureEventId" INTEGER,
    "failureDiagnosis" TEXT,
    "failureRemedy" TEXT,

    CONSTRAINT "Migration_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MigrationSample" (
    "id" BIGSERIAL NOT NULL,
    "migrationId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "percentComplete" INTEGER NOT NULL,
    "state" "MigrationState" NOT NULL,
    "message" TEXT,

    CONSTRAINT "MigrationSample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgentCommand" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "CommandStatus" NOT NULL DEFAULT 'PENDING',
    "result" JSONB,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "migrationId" UUID,
    "requestedBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "AgentCommand_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HostEvent" (
    "id" BIGSERIAL NOT NULL,
    "hostId" UUID NOT NULL,
    "recordId" BIGINT NOT NULL,
    "eventId" INTEGER NOT NULL,
    "level" TEXT NOT NULL,
    "timeCreated" TIMESTAMP(3) NOT NULL,
    "message" TEXT NOT NULL,
    "vmName" TEXT,
    "migrationId" UUID,

    CONSTRAINT "HostEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "role" TEXT,
    "operation" TEXT NOT NULL,
    "target" TEXT,
    "input" JSONB,
    "outcome" TEXT NOT NULL,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "requestId" TEXT,

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgentEnrollment" (
    "id" UUID NOT NULL,
    "hostName" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "AgentEnrollment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AgentCredential" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "secretHash" TEXT NOT NULL,
    "enrollmentId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "AgentCredential_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");

-- CreateIndex
CREATE UNIQUE INDEX "MigrationNetwork_hostId_subnet_key" ON "MigrationNetwork"("hostId", "subnet");

-- CreateIndex
CREATE UNIQUE INDEX "FirewallRule_hostId_name_key" ON "FirewallRule"("hostId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "VirtualSwitch_hostId_name_key" ON "VirtualSwitch"("hostId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "NetworkAdapter_hostId_name_key" ON "NetworkAdapter"("hostId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "VirtualMachine_vmId_key" ON "VirtualMachine"("vmId");

-- CreateIndex
CREATE INDEX "VirtualMachine_hostId_name_idx" ON "VirtualMachine"("hostId", "name");

-- CreateIndex
CREATE INDEX "HardDrive_vmRowId_idx" ON "HardDrive"("vmRowId");

-- CreateIndex
CREATE UNIQUE INDEX "Migration_idempotencyKey_key" ON "Migration"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Migration_state_seq_idx" ON "Migration"("state", "seq");

-- CreateIndex
CREATE INDEX "Migration_vmGuid_idx" ON "Migration"("vmGuid");

-- CreateIndex
CREATE INDEX "Migration_requestedAt_idx" ON "Migration"("requestedAt");

-- CreateIndex
CREATE INDEX "MigrationSample_migrationId_at_idx" ON "MigrationSample"("migrationId", "at");

-- CreateIndex
CREATE INDEX "AgentCommand_hostId_status_idx" ON "AgentCommand"("hostId", "status");

-- CreateIndex
CREATE INDEX "HostEvent_timeCreated_idx" ON "HostEvent"("timeCreated");

-- CreateIndex
CREATE UNIQUE INDEX "HostEvent_hostId_recordId_key" ON "HostEvent"("hostId", "recordId");

-- CreateIndex
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_secretHash_key" ON "ApiToken"("secretHash");

-- CreateIndex
CREATE UNIQUE INDEX "AgentEnrollment_secretHash_key" ON "AgentEnrollment"("secretHash");

-- CreateIndex
CREATE UNIQUE INDEX "AgentCredential_secretHash_key" ON "AgentCredential"("secretHash");

-- AddForeignKey
ALTER TABLE "MigrationSettings" ADD CONSTRAINT "MigrationSettings_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MigrationNetwork" ADD CONSTRAINT "MigrationNetwork_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FirewallRule" ADD CONSTRAINT "FirewallRule_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VirtualSwitch" ADD CONSTRAINT "VirtualSwitch_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NetworkAdapter" ADD CONSTRAINT "NetworkAdapter_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VirtualMachine" ADD CONSTRAINT "VirtualMachine_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HardDrive" ADD CONSTRAINT "HardDrive_vmRowId_fkey" FOREIGN KEY ("vmRowId") REFERENCES "VirtualMachine"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Migration" ADD CONSTRAINT "Migration_vmRowId_fkey" FOREIGN KEY ("vmRowId") REFERENCES "VirtualMachine"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Migration" ADD CONSTRAINT "Migration_sourceHostId_fkey" FOREIGN KEY ("sourceHostId") REFERENCES "Host"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Migration" ADD CONSTRAINT "Migration_destinationHostId_fkey" FOREIGN KEY ("destinationHostId") REFERENCES "Host"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MigrationSample" ADD CONSTRAINT "MigrationSample_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCommand" ADD CONSTRAINT "AgentCommand_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCommand" ADD CONSTRAINT "AgentCommand_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostEvent" ADD CONSTRAINT "HostEvent_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HostEvent" ADD CONSTRAINT "HostEvent_migrationId_fkey" FOREIGN KEY ("migrationId") REFERENCES "Migration"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AgentCredential" ADD CONSTRAINT "AgentCredential_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

