// Assembles the schema from the domain modules (each registers its types on the one builder).
import { lexicographicSortSchema, printSchema } from "graphql";
import { builder } from "./builder.ts";
import "./modules/shared/payload.ts";
import "./modules/vms/schema.ts";
import { synchronousVmIds } from "./modules/vms/ids.ts";
import "./modules/hosts/schema.ts";
import "./modules/hosts/queries.ts";
import "./modules/auth/schema.ts";
import "./modules/audit/schema.ts";
import "./modules/agents/schema.ts";
import "./modules/configuration/schema.ts";
import "./modules/configuration/profiles-schema.ts";
import "./modules/configuration/readiness-schema.ts";
import "./modules/configuration/delegation-schema.ts";
import "./modules/events/schema.ts";
import "./modules/migrations/schema.ts";
import "./modules/migrations/schema-fleet.ts";
import "./modules/placement/schema.ts";
import "./modules/placement/move-schema.ts";
import "./modules/webhooks/schema.ts";
import "./modules/placement/balance-schema.ts";
import "./modules/maintenance/schema.ts";

// VirtualMachine.id without a promise per VM (vms/ids.ts).
export const schema = synchronousVmIds(builder.toSchema({ sortSchema: true }));

export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
