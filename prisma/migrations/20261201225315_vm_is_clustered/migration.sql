-- AlterTable
ALTER TABLE "VirtualMachine" ADD COLUMN     "isClustered" BOOLEAN NOT NULL DEFAULT false;
