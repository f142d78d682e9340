-- AlterTable
ALTER TABLE "Maintenance" ADD COLUMN     "requestId" TEXT;
