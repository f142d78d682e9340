// @ferry/protocol: the contract between the API and the agent. Both sides validate with these schemas.
export * from "./commands.ts";
export * from "./documents.ts";
export * from "./events.ts";
export * from "./hyperv.ts";
export * from "./inventory.ts";
export * from "./jobs.ts";
export * from "./wire.ts";
