// A VM's global id without a promise (issue 16 item 1). The relay plugin resolves every node's `id` through
// an async function, so each VM of a page made one promise, and the executor then completed that VM (and
// its edge) asynchronously and put `id` after the VM's other fields. This resolver computes the same value
// (base64 of `VirtualMachine:<uuid>`, as `encodeGlobalID` and node(id:) read it) synchronously.
import { encodeGlobalID } from "@pothos/plugin-relay";
import { type GraphQLSchema, isObjectType } from "graphql";

/** Gives `VirtualMachine.id` of the built schema its synchronous resolver; returns the schema. */
export function synchronousVmIds(schema: GraphQLSchema): GraphQLSchema {
  const type = schema.getType("VirtualMachine");
  const id = isObjectType(type) ? type.getFields().id : undefined;
  if (!id) throw new Error("VirtualMachine.id is missing from the schema");
  id.resolve = (vm: { id: string }) => encodeGlobalID("VirtualMachine", String(vm.id));
  return schema;
}
