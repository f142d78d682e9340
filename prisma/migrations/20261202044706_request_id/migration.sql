-- AlterTable
ALTER TABLE "Migration" ADD COLUMN     "requestId" TEXT;

-- AlterTable
ALTER TABLE "AgentCommand" ADD COLUMN     "requestId" TEXT;
