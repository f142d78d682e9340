-- CreateIndex
CREATE INDEX "VirtualMachine_name_id_idx" ON "VirtualMachine"("name", "id");
