-- AlterTable
ALTER TABLE "Host" ADD COLUMN     "memoryReserveBytes" BIGINT NOT NULL DEFAULT 2147483648;

-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "notBefore" TIMESTAMP(3),
ADD COLUMN     "placementReason" TEXT;

-- CreateTable
CREATE TABLE "AntiAffinityGroup" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AntiAffinityGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AntiAffinityMember" (
    "groupId" UUID NOT NULL,
    "vmGuid" TEXT NOT NULL,

    CONSTRAINT "AntiAffinityMember_pkey" PRIMARY KEY ("groupId","vmGuid")
);

-- CreateIndex
CREATE UNIQUE INDEX "AntiAffinityGroup_name_key" ON "AntiAffinityGroup"("name");

-- CreateIndex
CREATE INDEX "AntiAffinityMember_vmGuid_idx" ON "AntiAffinityMember"("vmGuid");

-- AddForeignKey
ALTER TABLE "AntiAffinityMember" ADD CONSTRAINT "AntiAffinityMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "AntiAffinityGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;
