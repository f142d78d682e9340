-- CreateTable
CREATE TABLE "Volume" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "root" TEXT NOT NULL,
    "freeBytes" BIGINT NOT NULL,

    CONSTRAINT "Volume_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Volume_hostId_root_key" ON "Volume"("hostId", "root");

-- AddForeignKey
ALTER TABLE "Volume" ADD CONSTRAINT "Volume_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
