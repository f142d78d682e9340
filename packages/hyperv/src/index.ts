// @ferry/hyperv: what Ferry knows about Hyper-V live migration, as pure functions. Preflight,
// Host.readiness, failure diagnosis and the simulator all decide each rule here, so they agree.
// Each rule is documented in docs/hyperv.md with its Microsoft source.
export * from "./cidr.ts";
export * from "./facts.ts";
export * from "./move.ts";
export * from "./rules/auth.ts";
export * from "./rules/firewall.ts";
export * from "./rules/host.ts";
export * from "./rules/storage.ts";
export * from "./rules/vm.ts";
export * from "./verdict.ts";
